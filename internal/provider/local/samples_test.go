package local

import (
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
	p.mu.Lock()
	p.frontDoors[fdKey("checkout", "prod")] = &frontDoor{app: "checkout", env: "prod", metrics: map[string]*groupMetrics{"checkout-v002": m}, done: make(chan struct{})}
	p.mu.Unlock()
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
	p.mu.Lock()
	delete(p.frontDoors, fdKey("checkout", "prod")) // Close would stop a real front door
	p.mu.Unlock()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	// The next server's provider has no front door in memory yet.
	next, err := New(Config{DataDir: dir, Samples: st})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	after := next.Seconds("checkout", "prod", "checkout-v002", start, start.Add(10*time.Second))
	if len(after) != 5 {
		t.Fatalf("after the restart: %d seconds, want the 5 stored before it", len(after))
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
