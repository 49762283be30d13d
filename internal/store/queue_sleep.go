package store

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// River's client asleep while the embedded store has no jobs.
//
// River's client ticks while it runs: its batch completer looks for
// finished jobs every 50 ms (internal to River, not configurable), which
// with the Go scheduler's own wake-ups is most of what an idle server
// costs. On the embedded store no other process inserts jobs, so the queue
// hears of every job that comes: Queue.Wake after a store transaction that
// enqueued one, and River's own insert notifications (wakeListener). The
// sleeper stops River's client when no job is available or running and
// none is due within idleAfter, and starts it again:
//   - on the next insert (Wake);
//   - at the next stored due time (a retry's backoff, a job scheduled
//     ahead), which River's scheduler then makes available;
//   - when a look every safety interval finds a job available that nobody
//     announced (the safety fetch River would have made every
//     FetchPollInterval);
//   - once every maintenanceEvery, for maintenanceFor, so River's job
//     cleaner deletes finished jobs past their retention (River's
//     maintenance runs only in a running client).
//
// A job inserted while the client stops is not missed: an insert counted
// after the look that decided to stop starts the client again as soon as
// it has stopped, and River's producer fetches when it starts.

const (
	idleAfter        = 5 * time.Second
	maintenanceEvery = time.Hour
	maintenanceFor   = time.Minute
)

// startStopper is River's client as the sleeper drives it.
type startStopper interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// jobsLook is what the sleeper needs to know of the stored jobs.
type jobsLook struct {
	busy bool      // a job is available or running
	next time.Time // the earliest due time of a scheduled or retryable job (zero: none)
}

type sleeper struct {
	client startStopper
	look   func(ctx context.Context) (jobsLook, error)
	log    *slog.Logger
	now    func() time.Time
	// safety, idle, maintEvery and maintFor are the intervals above (the
	// safety look's is River's FetchPollInterval); tests shorten them.
	safety, idle, maintEvery, maintFor time.Duration

	inserts atomic.Int64  // inserts heard of
	poke    chan struct{} // one wake-up for the loop
	asleep  atomic.Bool   // for tests and diagnostics
	cancel  context.CancelFunc
	done    chan struct{}
}

func newSleeper(client startStopper, look func(context.Context) (jobsLook, error), safety time.Duration, log *slog.Logger) *sleeper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &sleeper{
		client: client, look: look, log: log, now: time.Now, poke: make(chan struct{}, 1),
		safety: safety, idle: idleAfter, maintEvery: maintenanceEvery, maintFor: maintenanceFor,
	}
}

// inserted hears of an insert: the client must run (again).
func (s *sleeper) inserted() {
	s.inserts.Add(1)
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// start starts the client, whose jobs run under jobCtx, and the loop that
// puts it to sleep and wakes it.
func (s *sleeper) start(jobCtx context.Context) error {
	if err := s.client.Start(jobCtx); err != nil {
		return err
	}
	if s.cancel != nil { // started already: the loop runs
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(jobCtx))
	s.cancel, s.done = cancel, make(chan struct{})
	go s.loop(ctx, jobCtx)
	return nil
}

// stop ends the loop (the client stays as it is: awake or asleep), for the
// queue's Stop, which stops the client next.
func (s *sleeper) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.cancel = nil
}

func (s *sleeper) loop(ctx context.Context, jobCtx context.Context) {
	defer close(s.done)
	awakeFor := s.idle
	for {
		next, ok := s.awake(ctx, awakeFor)
		if !ok {
			return
		}
		if awakeFor, ok = s.sleep(ctx, next); !ok {
			return
		}
		for {
			err := s.client.Start(jobCtx)
			if err == nil {
				break
			}
			s.log.Warn("could not start the job queue's workers again; retrying in 1 s", "err", err)
			if !sleepCtx(ctx, time.Second) {
				return
			}
		}
		s.asleep.Store(false)
	}
}

// awake lets the client run for at least d, then until it is quiet (no
// insert for idle, no job available or running, none due within idle), and stops it. It returns the next due time of a stored job,
// and false when the loop must end.
func (s *sleeper) awake(ctx context.Context, d time.Duration) (time.Time, bool) {
	until := s.now().Add(d)
	for {
		seen := s.inserts.Load()
		select {
		case <-ctx.Done():
			return time.Time{}, false
		case <-s.poke:
			continue // an insert: quiet starts again
		case <-time.After(max(s.idle, until.Sub(s.now()))):
		}
		look, err := s.look(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return time.Time{}, false
			}
			s.log.Warn("could not look at the job queue; its workers stay up", "err", err)
			continue
		}
		soon := !look.next.IsZero() && look.next.Before(s.now().Add(s.idle))
		if look.busy || soon || s.inserts.Load() != seen {
			continue
		}
		if err := s.client.Stop(context.WithoutCancel(ctx)); err != nil { // it has no job to wait for
			if ctx.Err() != nil {
				return time.Time{}, false
			}
			s.log.Warn("could not stop the idle job queue's workers; they stay up", "err", err)
			continue
		}
		s.asleep.Store(true)
		return look.next, true
	}
}

// sleep waits, with the client stopped, for a reason to start it: an
// insert (an insert while it stopped has left a poke), the due time next,
// a job found available by the safety look, or maintenance. It returns how
// long the client must then run at least, and false when the loop must end.
func (s *sleeper) sleep(ctx context.Context, next time.Time) (time.Duration, bool) {
	maintenance := s.now().Add(s.maintEvery)
	for {
		wake := maintenance
		if !next.IsZero() && next.Before(wake) {
			wake = next
		}
		safety := s.now().Add(s.safety)
		if safety.Before(wake) {
			wake = safety
		}
		select {
		case <-ctx.Done():
			return 0, false
		case <-s.poke:
			return s.idle, true
		case <-time.After(wake.Sub(s.now())):
		}
		now := s.now()
		switch {
		case !now.Before(maintenance):
			return s.maintFor, true
		case !next.IsZero() && !now.Before(next):
			return s.idle, true
		}
		look, err := s.look(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return 0, false
			}
			s.log.Warn("could not look at the job queue while its workers sleep; starting them", "err", err)
			return s.idle, true
		}
		if look.busy {
			s.log.Info("a job nobody announced is waiting; starting the job queue's workers")
			return s.idle, true
		}
		next = look.next
	}
}

// sleepCtx sleeps d unless ctx ends first (false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (q *riverQueue[TTx]) sleepy() *sleeper { return q.sleeper }
