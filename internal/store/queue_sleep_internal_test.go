package store

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// countingClient counts the sleeper's starts and stops of River's client.
type countingClient struct{ starts, stops atomic.Int32 }

func (c *countingClient) Start(context.Context) error { c.starts.Add(1); return nil }
func (c *countingClient) Stop(context.Context) error  { c.stops.Add(1); return nil }

// With no job ever, the client still runs for River's maintenance once
// every maintEvery, for maintFor, and sleeps again.
func TestSleeperWakesForMaintenance(t *testing.T) {
	t.Parallel()
	c := &countingClient{}
	looks := atomic.Int32{}
	s := newSleeper(c, func(context.Context) (jobsLook, error) { looks.Add(1); return jobsLook{}, nil }, time.Hour, nil)
	s.idle, s.maintEvery, s.maintFor = 20*time.Millisecond, 300*time.Millisecond, 100*time.Millisecond
	if err := s.start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	eventually(t, "the client woken for maintenance and put back to sleep twice (3 stops)", func() bool { return c.stops.Load() >= 3 })
	if got := c.starts.Load(); got != 3 { // the queue's start and two maintenance windows
		t.Errorf("%d starts for 3 stops", got)
	}
}

// While a job is available or running, or one is due within idle, the
// client does not sleep; it sleeps once there is none.
func TestSleeperStaysUpWhileJobsAreDue(t *testing.T) {
	t.Parallel()
	c := &countingClient{}
	var busyUntil atomic.Int64
	busyUntil.Store(time.Now().Add(300 * time.Millisecond).UnixNano())
	look := func(context.Context) (jobsLook, error) {
		if time.Now().UnixNano() < busyUntil.Load() {
			return jobsLook{next: time.Now().Add(5 * time.Millisecond)}, nil // due at once
		}
		return jobsLook{}, nil
	}
	s := newSleeper(c, look, time.Hour, nil)
	s.idle = 20 * time.Millisecond
	if err := s.start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	eventually(t, "the client to sleep once no job is due", s.asleep.Load)
	if now := time.Now().UnixNano(); now < busyUntil.Load() {
		t.Fatalf("the client went to sleep %s before the due job was past", time.Duration(busyUntil.Load()-now))
	}
	s.inserted()
	eventually(t, "an insert to wake the client", func() bool { return !s.asleep.Load() })
	if c.starts.Load() != 2 {
		t.Fatalf("%d starts, want 2: the queue's and the insert's", c.starts.Load())
	}
}

// eventually fails the test when cond is not true within 10 s; the
// sleeper's state has no event to wait for but its own flags.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10 s waiting for %s", what)
		}
	}
}
