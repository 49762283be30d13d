package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/store"
)

func testTraffic(t *testing.T, d Driver) {
	b := setup(t, d)
	base := time.Unix(1_800_000_000, 0).UTC()
	sec := func(sg string, i int, requests uint64) store.TrafficSecond {
		return store.TrafficSecond{Application: "checkout", Environment: "prod", ServerGroup: sg, Time: base.Add(time.Duration(i) * time.Second),
			Requests: requests, Errors: 1, SumSeconds: 0.25,
			Latency: latency.Histogram{Bounds: latency.Bounds, Counts: []latency.Count{{Index: 120, N: uint32(requests - 1)}, {Index: 583, N: 1}}}}
	}
	must(t, b.store.TrafficSecondsInsert(b.ctx, []store.TrafficSecond{sec("checkout-v001", 0, 10), sec("checkout-v001", 1, 11), sec("checkout-v002", 1, 5), sec("checkout-v001", 3, 13)}))
	// A second stored again keeps what was stored first.
	must(t, b.store.TrafficSecondsInsert(b.ctx, []store.TrafficSecond{sec("checkout-v001", 1, 99)}))

	got, err := b.store.TrafficSecondsList(b.ctx, store.TrafficSecondsParams{Application: "checkout", Environment: "prod", ServerGroup: "checkout-v001",
		From: base, To: base.Add(3 * time.Second)})
	must(t, err)
	want := []store.TrafficSecond{sec("checkout-v001", 0, 10), sec("checkout-v001", 1, 11)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seconds [0, 3) of v001:\n got %+v\nwant %+v", got, want)
	}
	n, err := b.store.TrafficSecondsDeleteBefore(b.ctx, base.Add(time.Second))
	must(t, err)
	if n != 1 {
		t.Fatalf("deleted %d seconds before second 1, want 1", n)
	}
	got, err = b.store.TrafficSecondsList(b.ctx, store.TrafficSecondsParams{Application: "checkout", Environment: "prod", ServerGroup: "checkout-v001",
		From: base, To: base.Add(time.Hour)})
	must(t, err)
	if len(got) != 2 || got[0].Time != base.Add(time.Second) || got[1].Requests != 13 {
		t.Fatalf("after deleting the oldest: %+v, want seconds 1 and 3", got)
	}
}
