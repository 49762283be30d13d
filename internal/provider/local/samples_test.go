package local

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// A server that restarts in the middle of a canary analysis interval still
// judges the whole interval: the front door's seconds are stored as they
// complete (and when the provider closes), and Seconds reads back what
// memory no longer holds.
func TestSamplesOutliveTheProvider(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := t.TempDir()
	p, err := New(Config{DataDir: dir, Samples: st})
	if err != nil {
		t.Fatal(err)
	}
	// Ten seconds of traffic that ended a minute ago, through a front door.
	m := newGroupMetrics()
	set := inProcessDoor(t, p, "prod")
	set.doors["checkout"] = &frontDoor{app: "checkout", env: "prod", bound: "127.0.0.1:1", metrics: map[string]*groupMetrics{"checkout-v002": m}, done: make(chan struct{})}
	p.door("prod").disconnect() // the next hello lists the door
	start := time.Now().Add(-70 * time.Second).Truncate(time.Second)
	for i := range 10 {
		at := start.Add(time.Duration(i) * time.Second)
		m.series.add(at, 200, 10*time.Millisecond)
		m.series.add(at.Add(time.Millisecond), 503, 30*time.Millisecond)
	}
	if !p.storeSeconds(start, start.Add(5*time.Second)) {
		t.Fatal("the first flush was refused")
	}
	before := p.Seconds("checkout", "prod", "checkout-v002", start, start.Add(10*time.Second))
	if len(before) != 10 {
		t.Fatalf("before the restart: %d seconds, want 10 (memory and store together, once each)", len(before))
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	// The next server's provider has no front door process (it was gone).
	next, err := New(Config{DataDir: dir, Samples: st})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	after := next.Seconds("checkout", "prod", "checkout-v002", start, start.Add(10*time.Second))
	// The flush when the provider closed went back as far as the front door
	// remembers: the 5 seconds not stored yet were, the 5 stored already
	// were left as they were (none lost, none counted twice).
	if len(after) != 10 {
		t.Fatalf("after the restart: %d seconds, want the 10 stored before it", len(after))
	}
	for i, s := range after {
		if want := start.Add(time.Duration(i) * time.Second); !s.Time.Equal(want) || s.Requests != 2 || s.Errors != 1 ||
			s.Latency.Total() != 2 || !reflect.DeepEqual(s.Latency, before[i].Latency) {
			t.Fatalf("second %d read back as %+v, want 2 requests, 1 error at %v with the latencies stored (%+v)", i, s, want, before[i].Latency)
		}
	}
	if before[0].SumSeconds != after[0].SumSeconds {
		t.Errorf("latency sum %v read back as %v", before[0].SumSeconds, after[0].SumSeconds)
	}
}

// inProcessDoor serves env's front doors from a goroutine of the test
// (standing in for a front-door process: the test's own pid) and makes p
// use it; the test fills the returned set's doors as it needs.
func inProcessDoor(t *testing.T, p *Provider, env string) *doorSet {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sock := filepath.Join(t.TempDir(), "fd.sock")
	token := randomToken()
	set := newDoorSet(env, slog.New(slog.DiscardHandler))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = serveDoorSet(ctx, doorChildConfig{Socket: sock, Environment: env, Token: token, Logger: slog.New(slog.DiscardHandler)}, set)
	}()
	t.Cleanup(func() { cancel(); <-done })
	self := &process{pid: os.Getpid(), adopted: true}
	self.startTime, _ = procStartTime(self.pid)
	d := &doorProcess{env: env, socket: sock, token: token, proc: self}
	for i := 0; ; i++ {
		d.mu.Lock()
		err := d.connectLocked(ctx)
		d.mu.Unlock()
		if err == nil {
			break
		}
		if i > 200 {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.mu.Lock()
	p.doors[env] = d
	p.mu.Unlock()
	return set
}
