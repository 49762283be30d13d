package engine

import (
	"context"
	"sync"
	"time"
)

// maxTimer is the longest wait kept as an in-process timer; the due scan
// wakes the stages that wait longer.
const maxTimer = 15 * time.Minute

// timers wake stages at the moment they asked for. The stage's stored WakeAt
// is the guarantee (the due scan finds it, on any server, after a crash);
// an in-process timer gives the stage a job on the dot.
type timers struct {
	mu      sync.Mutex
	ctx     context.Context
	pending map[timerKey]*time.Timer
}

type timerKey struct {
	execution, stage string
	at               int64
}

// wakeLater gives the stage a job at at (once per distinct wake time).
func (e *Engine) wakeLater(execID, stageName string, at time.Time) {
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
		t.pending = map[timerKey]*time.Timer{}
	}
	k := timerKey{execID, stageName, at.UnixNano()}
	if _, ok := t.pending[k]; ok {
		return
	}
	t.pending[k] = time.AfterFunc(d, func() {
		t.mu.Lock()
		delete(t.pending, k)
		ctx := t.ctx
		t.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if err := e.queue.Insert(ctx, stageArgs{ExecutionID: execID, Stage: stageName}, nil); err != nil && ctx.Err() == nil {
			e.log.Warn("could not wake a stage on time; the due scan will", "execution", execID, "stage", stageName, "err", err)
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
	for k, tm := range t.pending {
		tm.Stop()
		delete(t.pending, k)
	}
}
