package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/trigger"
)

// Poller is the trigger.Poller of schedule triggers. Its cursor is the last
// tick handled ({"last": RFC 3339}); each tick fires with DeliveryID the
// tick in UTC, so a tick starts its pipeline once however many replicas
// and restarts see it.
type Poller struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger, when set, is told of ticks missed while no server ran.
	Logger *slog.Logger

	// running is when this poller first looked: a tick after it passed
	// while this server ran and fires however late (DecideRunning).
	runningOnce sync.Once
	running     time.Time
}

var (
	_ trigger.Poller = (*Poller)(nil)
	_ interface {
		NextRun(trigger.Ref, time.Time) time.Time
	} = (*Poller)(nil)
)

// cursor is what a schedule trigger remembers between looks.
type cursor struct {
	Last time.Time `json:"last"`
}

// Poll fires the ticks Decide finds due since the cursor.
func (p *Poller) Poll(_ context.Context, ref trigger.Ref, raw []byte) ([]trigger.Firing, []byte, error) {
	spec := ref.Spec.Schedule
	if spec == nil {
		return nil, nil, fmt.Errorf("trigger %s has no schedule block; this is a bug, please report it", ref.Key())
	}
	s, err := Parse(*spec)
	if err != nil {
		return nil, nil, fmt.Errorf("trigger %s: %w", ref.Key(), err)
	}
	var last *time.Time
	if raw != nil {
		var c cursor
		if err := json.Unmarshal(raw, &c); err != nil || c.Last.IsZero() {
			// A cursor this poller cannot read is treated as none: the
			// trigger starts over from now and fires nothing old.
			last = nil
		} else {
			last = &c.Last
		}
	}
	now := p.now()
	p.runningOnce.Do(func() { p.running = now })
	d := DecideRunning(s, last, now, spec.Missed, p.running)
	if !d.Missed.IsZero() && p.Logger != nil {
		what := "skipped (missed: skip)"
		if len(d.Fire) == 1 && d.Fire[0].Equal(d.Missed) {
			what = "run once now (missed: runOnce)"
		} else if spec.Missed == MissedRunOnce {
			what = "covered by the tick due now (missed: runOnce)"
		}
		p.Logger.Info("schedule ticks passed while no server ran", "trigger", ref.Key(),
			"latest", d.Missed.In(s.Location()).Format(time.RFC3339), "ticks", what)
	}
	firings := make([]trigger.Firing, 0, len(d.Fire))
	for _, tick := range d.Fire {
		firings = append(firings, firing(ref, s, tick))
	}
	next, err := json.Marshal(cursor{Last: d.Last.UTC()})
	if err != nil {
		return nil, nil, err
	}
	return firings, next, nil
}

// NextRun is the schedule's next tick after now (zero when the schedule
// cannot be read or never ticks again): the runner sleeps until then.
func (p *Poller) NextRun(ref trigger.Ref, now time.Time) time.Time {
	if ref.Spec.Schedule == nil {
		return time.Time{}
	}
	s, err := Parse(*ref.Spec.Schedule)
	if err != nil {
		return time.Time{}
	}
	return s.Next(now)
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// firing is one tick's firing: input tick (RFC 3339 in the schedule's
// zone) and cron.
func firing(ref trigger.Ref, s Schedule, tick time.Time) trigger.Firing {
	input := map[string]any{
		"tick": tick.In(s.Location()).Format(time.RFC3339),
		"cron": ref.Spec.Schedule.Cron,
	}
	f := trigger.Firing{Ref: ref, DeliveryID: tick.UTC().Format(time.RFC3339), Input: input}
	f.Record.Kind = "schedule"
	f.Record.Payload, _ = json.Marshal(input) // a map of two strings always marshals
	return f
}
