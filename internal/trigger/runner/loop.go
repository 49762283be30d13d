package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/trigger"
)

// loop watches one trigger. Its Ref changes in place when the config
// changes the trigger or its pipeline, and the loop looks again at once.
type loop struct {
	mu     sync.Mutex
	ref    trigger.Ref
	wake   chan struct{}
	cancel context.CancelFunc
}

func newLoop(ref trigger.Ref, cancel context.CancelFunc) *loop {
	return &loop{ref: ref, wake: make(chan struct{}, 1), cancel: cancel}
}

func (l *loop) current() trigger.Ref {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ref
}

// update gives the loop the trigger as the config has it now, and wakes
// it when that differs from what it had.
func (l *loop) update(ref trigger.Ref) {
	l.mu.Lock()
	same := reflect.DeepEqual(l.ref, ref)
	l.ref = ref
	l.mu.Unlock()
	if !same {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// look is the outcome of one look at a source.
type look struct {
	// err is what went wrong, reported as the trigger's last error.
	err error
	// retry says err may pass: back off and look again without having
	// saved the cursor.
	retry bool
	// wait is how long until the next look when there is nothing to retry.
	wait time.Duration
}

func (r *Runner) runLoop(ctx context.Context, l *loop) {
	failures := 0
	rep := reported{}
	// Go 1.23 timers: Reset and Stop drop a value not yet received.
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		ref := l.current()
		res := r.look(ctx, ref)
		if ctx.Err() != nil {
			return
		}
		if r.cfg.Reporter != nil && rep.due(res.err, r.cfg.Now(), r.cfg.ReportEvery) {
			r.cfg.Reporter.TriggerPolled(ctx, ref.Key(), res.err)
		}
		wait := res.wait
		if res.retry {
			failures++
			wait = r.backoff(failures)
			r.log.Warn("trigger could not look at its source; trying again", "trigger", ref.Key(), "in", wait.Round(time.Second), "err", res.err)
		} else {
			failures = 0
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// reported is what a loop last told the Reporter, and when.
type reported struct {
	done bool
	msg  string
	at   time.Time
}

// due reports whether the outcome err is to be reported at now: the first
// one, one that differs from the last reported, or the same after every.
func (r *reported) due(err error, now time.Time, every time.Duration) bool {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if r.done && msg == r.msg && now.Sub(r.at) < every {
		return false
	}
	r.done, r.msg, r.at = true, msg, now
	return true
}

// look asks the trigger's poller what happened since the cursor, fires
// each firing and saves the next cursor. A firing that fails in a way that
// may pass (the store, a shutdown) stops the look before the cursor is
// saved, so the next look fires it again; one the pipeline refuses (a
// parameter it does not take) is reported and passed over, so it does not
// hold up the firings after it.
func (r *Runner) look(ctx context.Context, ref trigger.Ref) look {
	key, typ := ref.Key(), ref.Spec.Type()
	poller, ok := r.cfg.Pollers[typ]
	if !ok {
		return look{retry: true, err: fmt.Errorf("trigger %s: this server has no %s poller; this is a bug, please report it", key, typ)}
	}
	source := SourceID(ref)
	raw, err := r.cfg.Cursors.TriggerCursor(ctx, key)
	if err != nil {
		return look{retry: true, err: fmt.Errorf("trigger %s: reading its cursor: %w", key, err)}
	}
	cursor := openCursor(raw, source)
	pctx, cancel := context.WithTimeout(ctx, r.cfg.PollTimeout)
	firings, next, err := poller.Poll(pctx, ref, cursor)
	cancel()
	if err != nil {
		return look{retry: true, err: err}
	}
	var refused []error
	for _, f := range firings {
		f.Ref = ref
		res, err := r.cfg.Starter.Fire(ctx, f)
		switch {
		case err != nil && errors.Is(err, engine.ErrBadRequest):
			r.log.Warn("trigger fired but its pipeline refused the start; passing over it", "trigger", key, "delivery", f.DeliveryID, "err", err)
			refused = append(refused, fmt.Errorf("delivery %s: %w", f.DeliveryID, err))
		case err != nil:
			return look{retry: true, err: fmt.Errorf("trigger %s: starting delivery %s: %w", key, f.DeliveryID, err)}
		case res.Skipped != "":
			r.log.Info("trigger fired; nothing started", "trigger", key, "delivery", f.DeliveryID, "why", res.Skipped)
		case res.Duplicate:
			r.log.Debug("trigger fired a delivery started already", "trigger", key, "delivery", f.DeliveryID, "execution", res.ExecutionID)
		} // a start is logged by the Starter, whichever source fired it
	}
	if next != nil && !bytes.Equal(next, cursor) {
		sealed, err := sealCursor(next, source)
		if err == nil {
			err = r.cfg.Cursors.SetTriggerCursor(ctx, key, sealed)
		}
		if err != nil {
			// Every firing was handed to the Starter, which starts each
			// once: looking again only repeats work.
			return look{retry: true, err: fmt.Errorf("trigger %s: saving its cursor: %w", key, err)}
		}
	}
	return look{err: errors.Join(refused...), wait: r.nextWait(poller, ref)}
}

// maxSleep bounds a wait until a poller's NextRun: a timer runs on the
// monotonic clock, which stands still while the machine sleeps, so a loop
// waiting hours for a tick checks the wall clock at least this often.
const maxSleep = time.Minute

// nextWait is how long until the trigger's next look: when its poller
// says (a schedule's next tick), else the source's interval.
func (r *Runner) nextWait(poller trigger.Poller, ref trigger.Ref) time.Duration {
	now := r.cfg.Now()
	if nr, ok := poller.(NextRunner); ok {
		if at := nr.NextRun(ref, now); !at.IsZero() {
			return min(max(at.Sub(now), 0), maxSleep)
		}
	}
	return spread(Interval(ref))
}

// spread is d give or take a tenth, so replicas polling the same registry
// or repository drift apart instead of asking together.
func spread(d time.Duration) time.Duration {
	return d - d/10 + time.Duration(rand.Int64N(int64(d/5)+1))
}

// Interval is a source's own interval between looks: a registry's or git
// trigger's Interval, else one minute.
func Interval(ref trigger.Ref) time.Duration {
	switch s := ref.Spec; {
	case s.Registry != nil && s.Registry.Interval > 0:
		return s.Registry.Interval.D()
	case s.Git != nil && s.Git.Interval > 0:
		return s.Git.Interval.D()
	}
	return defaultInterval
}

// backoff is the wait after n failed looks in a row: MinBackoff doubling
// up to MaxBackoff, give or take a tenth so replicas drift apart.
func (r *Runner) backoff(n int) time.Duration {
	d := r.cfg.MinBackoff
	for i := 1; i < n && d < r.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return spread(min(d, r.cfg.MaxBackoff))
}
