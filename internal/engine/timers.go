package engine

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// maxTimer is the longest wait kept as an in-process timer; longer ones rely
// on the durable scheduled job alone.
const maxTimer = 15 * time.Minute

// timers wake stages at the moment they asked for. The durable scheduled job
// is the guarantee (it survives a crash), but River releases scheduled jobs
// only every few seconds; an in-process timer nudges the stage on time.
type timers struct {
	mu      sync.Mutex
	ctx     context.Context
	pending map[stageArgs]*time.Timer
}

// wakeLater nudges the stage of a at a.At (once per distinct wake time).
func (e *Engine) wakeLater(a stageArgs, at time.Time) {
	d := at.Sub(e.now())
	if d <= 0 || d > maxTimer {
		return
	}
	t := &e.timers
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx == nil || t.ctx.Err() != nil {
		return
	}
	if t.pending == nil {
		t.pending = map[stageArgs]*time.Timer{}
	}
	if _, ok := t.pending[a]; ok {
		return
	}
	t.pending[a] = time.AfterFunc(d, func() {
		t.mu.Lock()
		delete(t.pending, a)
		ctx := t.ctx
		t.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if _, err := e.river.Insert(ctx, stageArgs{ExecutionID: a.ExecutionID, Stage: a.Stage, Version: a.Version}, nil); err != nil && ctx.Err() == nil {
			e.log.Warn("could not wake a stage on time; its scheduled job will", "execution", a.ExecutionID, "stage", a.Stage, "err", err)
		}
	})
}

func (e *Engine) startTimers(ctx context.Context) {
	e.timers.mu.Lock()
	e.timers.ctx = ctx
	e.timers.mu.Unlock()
}

func (e *Engine) stopTimers() {
	t := &e.timers
	t.mu.Lock()
	defer t.mu.Unlock()
	for a, tm := range t.pending {
		tm.Stop()
		delete(t.pending, a)
	}
}

// scheduledOpts makes a scheduled nudge unique per stage and wake time, so
// stale nudges that ask again for the same time do not pile up.
func scheduledOpts(at time.Time) *river.InsertOpts {
	return &river.InsertOpts{ScheduledAt: at, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
