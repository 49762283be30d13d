package sqlite_test

import (
	"math"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// A second stored before the fine latency layout (a plain array of 14
// counts) still reads, with the coarse bounds it was counted in; a new one
// is stored sparse and reads back as written.
func TestTrafficSecondsOfBothLayouts(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	base := time.Unix(1_800_000_000, 0).UTC()
	if _, err := sqlite.WriterDB(s).ExecContext(t.Context(), `INSERT INTO traffic_second
		(application, environment, server_group, second, requests, errors, sum_seconds, buckets)
		VALUES ('checkout', 'prod', 'checkout-v001', ?, 10, 0, 0.4, '[0,0,0,0,2,5,3,0,0,0,0,0,0,0]')`, base.Unix()); err != nil {
		t.Fatal(err)
	}
	fine := latency.Histogram{Bounds: latency.Bounds, Counts: []latency.Count{{Index: 300, N: 7}, {Index: 301, N: 3}}}
	if err := s.TrafficSecondsInsert(t.Context(), []store.TrafficSecond{{Application: "checkout", Environment: "prod", ServerGroup: "checkout-v001",
		Time: base.Add(time.Second), Requests: 10, SumSeconds: 0.4, Latency: fine}}); err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := sqlite.WriterDB(s).QueryRowContext(t.Context(), `SELECT buckets FROM traffic_second WHERE second = ?`, base.Unix()+1).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if want := `{"layout":"log1.02","counts":[300,7,301,3]}`; raw != want {
		t.Errorf("stored %s, want %s", raw, want)
	}
	got, err := s.TrafficSecondsList(t.Context(), store.TrafficSecondsParams{Application: "checkout", Environment: "prod", ServerGroup: "checkout-v001",
		From: base, To: base.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("read %d seconds, want 2", len(got))
	}
	old := got[0].Latency
	if len(old.Bounds) != len(latency.CoarseBounds) || old.Total() != 10 || math.Abs(old.Quantile(0.5)-0.04) > 1e-12 {
		t.Errorf("the old second read as %v with p50 %v, want 10 latencies in the coarse layout, p50 0.04", old, old.Quantile(0.5))
	}
	if nw := got[1].Latency; len(nw.Bounds) != latency.NumBounds || nw.Total() != 10 || len(nw.Counts) != 2 {
		t.Errorf("the new second read as %v, want it as written", nw)
	}
}
