package frontdoor

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/store"
)

func TestRollup(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	sec := func(sg string, at time.Duration, requests, errs uint64, bucket uint16) store.TrafficSecond {
		return store.TrafficSecond{Application: "checkout", Environment: "prod", ServerGroup: sg, Time: base.Add(at), Requests: requests, Errors: errs,
			Latency: latency.Histogram{Bounds: latency.Bounds, Counts: []latency.Count{{Index: bucket, N: uint32(requests)}}}}
	}
	coarse := store.TrafficSecond{Application: "checkout", Environment: "prod", ServerGroup: "checkout-v001", Time: base.Add(59 * time.Second), Requests: 2,
		Latency: latency.Histogram{Bounds: latency.CoarseBounds, Counts: []latency.Count{{Index: 6, N: 2}}}} // <= 100 ms
	if err := st.TrafficSecondsInsert(ctx, []store.TrafficSecond{
		sec("checkout-v001", 0, 10, 1, 100), sec("checkout-v002", 0, 5, 5, 300), sec("checkout-v001", 30*time.Second, 10, 0, 100), coarse,
		sec("checkout-v001", 61*time.Second, 7, 0, 100),
	}); err != nil {
		t.Fatal(err)
	}
	now := base.Add(80 * time.Second) // minute 0 settled; minute 1 is not complete yet
	r := &Rollup{Store: st, Now: func() time.Time { return now }}
	if err := r.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	mins, err := st.TrafficMinuteList(ctx, store.TrafficMinuteListParams{Application: "checkout", From: base.Add(-time.Hour), To: base.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(mins) != 1 || mins[0].Requests != 27 || mins[0].Errors != 6 || !mins[0].Minute.Equal(base) {
		t.Fatalf("after the first pass: %+v, want minute 0 with 27 requests, 6 errors", mins)
	}
	dense := make([]uint64, latency.NumBuckets)
	if err := latency.DecodeMinute(mins[0].Latency, dense); err != nil {
		t.Fatal(err)
	}
	if dense[100] != 20 || dense[300] != 5 || dense[latency.BucketOf(0.1)] != 2 {
		t.Fatalf("latency of minute 0: 20 in bucket 100, 5 in 300, 2 at 100 ms wanted; got %d, %d, %d", dense[100], dense[300], dense[latency.BucketOf(0.1)])
	}
	// A second of minute 0 stored late, then the next pass: minute 0 is
	// recomputed whole (replaced, not added to) and minute 1 is complete.
	if err := st.TrafficSecondsInsert(ctx, []store.TrafficSecond{sec("checkout-v002", 45*time.Second, 3, 0, 100)}); err != nil {
		t.Fatal(err)
	}
	now = base.Add(2*time.Minute + 20*time.Second)
	if err := r.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Pass(ctx); err != nil { // twice changes nothing
		t.Fatal(err)
	}
	mins, err = st.TrafficMinuteList(ctx, store.TrafficMinuteListParams{Application: "checkout", From: base.Add(-time.Hour), To: base.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(mins) != 2 || mins[0].Requests != 30 || mins[1].Requests != 7 {
		t.Fatalf("after the late second: %+v, want 30 and 7 requests", mins)
	}
}
