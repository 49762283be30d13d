package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testSLOStatus(t *testing.T, d Driver) {
	b := setup(t, d)
	_, err := b.store.SLOStatusGet(b.ctx, "checkout-availability")
	wantErrIs(t, err, store.ErrNotFound)

	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	st := model.SLOStatus{Name: "checkout-availability", Application: "checkout", Environment: "prod", EvaluatedAt: at,
		WindowStart: at.Add(-28 * 24 * time.Hour), WindowEnd: at,
		Objectives: []model.ObjectiveStatus{{Name: "availability", Target: 0.999, Good: 999, Total: 1000, Attainment: 0.999, BudgetRemaining: 0}},
		BurnRates:  []model.BurnRate{{Window: model.Duration(time.Hour), Rate: 2.5}},
		Alerts:     []model.AlertState{{Name: "page-1h", Severity: "page", Firing: true, Since: at.Add(-time.Minute), LongRate: 15, ShortRate: 20}}}
	must(t, b.store.SLOStatusPut(b.ctx, st))
	got, err := b.store.SLOStatusGet(b.ctx, st.Name)
	must(t, err)
	if !reflect.DeepEqual(*got, st) {
		t.Fatalf("status read back:\n got %+v\nwant %+v", *got, st)
	}
	// A put replaces; the list is by name.
	st.Alerts, st.Error = nil, "prometheus at http://prom:9090: connection refused"
	must(t, b.store.SLOStatusPut(b.ctx, st))
	must(t, b.store.SLOStatusPut(b.ctx, model.SLOStatus{Name: "api-latency", Application: "api", EvaluatedAt: at}))
	list, err := b.store.SLOStatusList(b.ctx)
	must(t, err)
	if len(list) != 2 || list[0].Name != "api-latency" || list[1].Error != st.Error || list[1].Alerts != nil {
		t.Fatalf("list: %+v", list)
	}
	// The size guard.
	big := st
	big.Error = strings.Repeat("x", store.MaxSLOStatusBytes)
	if err := b.store.SLOStatusPut(b.ctx, big); err == nil {
		t.Fatal("a status above MaxSLOStatusBytes was stored")
	}

	// Points: one per SLO and time, a copy ignored, listed oldest first
	// in [From, To) and capped.
	pt := func(slo string, i int, good float64) store.SLOPoint {
		return store.SLOPoint{SLO: slo, At: at.Add(time.Duration(i) * 5 * time.Minute), Good: good, Total: 100, BudgetRemaining: 0.5, BurnRate: 1.25}
	}
	must(t, b.store.SLOPointAdd(b.ctx, []store.SLOPoint{pt(st.Name, 0, 90), pt(st.Name, 1, 91), pt(st.Name, 2, 92), pt("api-latency", 0, 50)}))
	must(t, b.store.SLOPointAdd(b.ctx, []store.SLOPoint{pt(st.Name, 1, 1)}))
	pts, err := b.store.SLOPointList(b.ctx, store.SLOPointListParams{SLO: st.Name, From: at, To: at.Add(10 * time.Minute)})
	must(t, err)
	if want := []store.SLOPoint{pt(st.Name, 0, 90), pt(st.Name, 1, 91)}; !reflect.DeepEqual(pts, want) {
		t.Fatalf("points:\n got %+v\nwant %+v", pts, want)
	}
	pts, err = b.store.SLOPointList(b.ctx, store.SLOPointListParams{SLO: st.Name, From: at, To: at.Add(time.Hour), Limit: 1})
	must(t, err)
	if len(pts) != 1 || pts[0].Good != 92 {
		t.Fatalf("limit 1: %+v, want the newest point", pts)
	}
	n, err := b.store.SLOPointDeleteBefore(b.ctx, at.Add(time.Minute))
	must(t, err)
	if n != 2 {
		t.Fatalf("deleted %d points, want 2", n)
	}
	// Deleting an SLO's status takes its points with it.
	must(t, b.store.SLOStatusDelete(b.ctx, st.Name))
	_, err = b.store.SLOStatusGet(b.ctx, st.Name)
	wantErrIs(t, err, store.ErrNotFound)
	pts, err = b.store.SLOPointList(b.ctx, store.SLOPointListParams{SLO: st.Name, From: at, To: at.Add(time.Hour)})
	must(t, err)
	if len(pts) != 0 {
		t.Fatalf("points after SLOStatusDelete: %+v", pts)
	}
}

func testTrafficMinute(t *testing.T, d Driver) {
	b := setup(t, d)
	base := time.Unix(1_800_000_000/60*60, 0).UTC()
	dense := make([]uint64, latency.NumBuckets)
	dense[120], dense[583] = 9, 1
	min := func(env string, i int, requests, errs uint64) store.TrafficMinute {
		return store.TrafficMinute{Application: "checkout", Environment: env, Minute: base.Add(time.Duration(i) * time.Minute),
			Requests: requests, Errors: errs, Latency: latency.EncodeMinute(dense)}
	}
	must(t, b.store.TrafficMinutePut(b.ctx, []store.TrafficMinute{min("prod", 0, 10, 1), min("prod", 1, 11, 0), min("prod-eu", 1, 5, 5), min("prod", 3, 13, 2)}))
	// A minute written again replaces the first: recomputed whole, it counts nothing twice.
	must(t, b.store.TrafficMinutePut(b.ctx, []store.TrafficMinute{min("prod", 1, 12, 1)}))
	got, err := b.store.TrafficMinuteList(b.ctx, store.TrafficMinuteListParams{Application: "checkout", Environment: "prod", From: base, To: base.Add(3 * time.Minute)})
	must(t, err)
	if want := []store.TrafficMinute{min("prod", 0, 10, 1), min("prod", 1, 12, 1)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("minutes [0, 3) in prod:\n got %+v\nwant %+v", got, want)
	}
	// Every environment, oldest first; bounds inside a minute take the minutes that start in [From, To).
	got, err = b.store.TrafficMinuteList(b.ctx, store.TrafficMinuteListParams{Application: "checkout", From: base.Add(30 * time.Second), To: base.Add(3*time.Minute + time.Second)})
	must(t, err)
	if len(got) != 3 || got[0].Environment != "prod" || got[1].Environment != "prod-eu" || got[2].Requests != 13 {
		t.Fatalf("minutes [0:30, 3:01) everywhere: %+v", got)
	}
	if other, err := b.store.TrafficMinuteList(b.ctx, store.TrafficMinuteListParams{Application: "cart", From: base, To: base.Add(time.Hour)}); err != nil || len(other) != 0 {
		t.Fatalf("another application's minutes: %+v, %v", other, err)
	}
	n, err := b.store.TrafficMinuteDeleteBefore(b.ctx, base.Add(2*time.Minute))
	must(t, err)
	if n != 3 {
		t.Fatalf("deleted %d minutes, want 3", n)
	}
	for _, bad := range []store.TrafficMinute{
		{Application: "checkout", Environment: "prod", Minute: base.Add(time.Second), Requests: 1},
		{Application: "checkout", Environment: "prod", Minute: base, Requests: 1, Errors: 2},
		{Application: "checkout", Environment: "prod", Minute: base, Latency: make([]byte, store.MaxTrafficMinuteLatency+1)},
	} {
		if err := b.store.TrafficMinutePut(b.ctx, []store.TrafficMinute{bad}); err == nil {
			t.Errorf("stored a bad minute %+v", bad)
		}
	}

	// The rollup reads every server group's seconds at once.
	sec := func(app, sg string, i int) store.TrafficSecond {
		return store.TrafficSecond{Application: app, Environment: "prod", ServerGroup: sg, Time: base.Add(time.Duration(i) * time.Second),
			Requests: 3, Errors: 1, SumSeconds: 0.5, Latency: latency.Histogram{Bounds: latency.Bounds, Counts: []latency.Count{{Index: 7, N: 3}}}}
	}
	must(t, b.store.TrafficSecondsInsert(b.ctx, []store.TrafficSecond{sec("checkout", "checkout-v002", 1), sec("checkout", "checkout-v001", 1), sec("api", "api-v001", 0), sec("checkout", "checkout-v001", 60)}))
	secs, err := b.store.TrafficSecondsBetween(b.ctx, base, base.Add(time.Minute))
	must(t, err)
	if want := []store.TrafficSecond{sec("api", "api-v001", 0), sec("checkout", "checkout-v001", 1), sec("checkout", "checkout-v002", 1)}; !reflect.DeepEqual(secs, want) {
		t.Fatalf("seconds of the first minute:\n got %+v\nwant %+v", secs, want)
	}
}

// Replicas racing for the evaluator's lease: exactly one gets it; it
// keeps it while it renews; once it expires, exactly one other takes it.
func testSLOLease(t *testing.T, d Driver) {
	b := setup(t, d)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	const ttl = time.Minute
	race := func(at time.Time, holders []string) []string {
		t.Helper()
		var mu sync.Mutex
		var won []string
		var wg sync.WaitGroup
		for _, h := range holders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := b.store.SLOLeaseAcquire(b.ctx, h, at, ttl)
				if err != nil {
					t.Errorf("%s: %v", h, err)
					return
				}
				if ok {
					mu.Lock()
					won = append(won, h)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return won
	}
	var holders []string
	for i := range 12 {
		holders = append(holders, fmt.Sprintf("replica-%02d", i))
	}
	won := race(now, holders)
	if len(won) != 1 {
		t.Fatalf("first race: %v won, want exactly one", won)
	}
	first := won[0]
	if won := race(now.Add(30*time.Second), holders); len(won) != 1 || won[0] != first {
		t.Fatalf("while %s holds it: %v won, want only %s (renewing)", first, won, first)
	}
	// The holder renewed at +30s: until +90s it is still held.
	others := make([]string, 0, len(holders))
	for _, h := range holders {
		if h != first {
			others = append(others, h)
		}
	}
	if won := race(now.Add(80*time.Second), others); len(won) != 0 {
		t.Fatalf("before expiry: %v won", won)
	}
	won = race(now.Add(91*time.Second), others)
	if len(won) != 1 {
		t.Fatalf("after expiry: %v won, want exactly one", won)
	}
	if ok, err := b.store.SLOLeaseAcquire(b.ctx, first, now.Add(92*time.Second), ttl); err != nil || ok {
		t.Fatalf("the old holder came back: %v, %v; want refused", ok, err)
	}
}
