package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// The KPI rollups' storage: the cursor starts at 0 and moves, documents
// are put, read, listed and deleted by kind, rollups are read by key and
// listed by period and filters (nil: any; empty: none), and actors are
// counted once however often they are added.
func testKPIStore(t *testing.T, d Driver) {
	b := setup(t, d)
	ctx := b.ctx
	err := b.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := tx.KPICursorLock(ctx)
		if err != nil || c != 0 {
			return fmt.Errorf("a new cursor = %d, %v; want 0", c, err)
		}
		return tx.KPICursorSet(ctx, 42)
	})
	must(t, err)
	c, err := b.store.KPICursorLock(ctx)
	must(t, err)
	if c != 42 {
		t.Fatalf("cursor = %d after setting 42", c)
	}

	must(t, b.store.KPIDocPut(ctx, "lane", map[string][]byte{"a": []byte(`{"x":1}`), "b": []byte(`{}`)}))
	must(t, b.store.KPIDocPut(ctx, "exec", map[string][]byte{"a": []byte(`"other kind"`)}))
	must(t, b.store.KPIDocPut(ctx, "lane", map[string][]byte{"a": []byte(`{"x":2}`), "b": nil}))
	got, err := b.store.KPIDocGet(ctx, "lane", []string{"a", "b", "c"})
	must(t, err)
	if len(got) != 1 || string(got["a"]) != `{"x":2}` {
		t.Fatalf("lane docs a, b, c = %q; want only a, rewritten", got)
	}
	all, err := b.store.KPIDocList(ctx, "exec")
	must(t, err)
	if len(all) != 1 || string(all["a"]) != `"other kind"` {
		t.Fatalf("exec docs = %q", all)
	}

	day := func(n int) time.Time { return time.Date(2026, 1, n, 0, 0, 0, 0, time.UTC) }
	rows := []store.KPIDay{
		{KPIDayKey: store.KPIDayKey{Day: day(1), Application: "checkout", Environment: "prod"}, Counts: []byte(`{"attempts":1}`), Values: []byte{1, 2}, Event: 7},
		{KPIDayKey: store.KPIDayKey{Day: day(2), Application: "cart", Environment: "prod"}, Counts: []byte(`{}`), Event: 8},
		{KPIDayKey: store.KPIDayKey{Day: day(3), Application: "", Environment: "eu"}, Counts: []byte(`{"outOfBand":1}`), Event: 9},
	}
	must(t, b.store.KPIDayPut(ctx, rows))
	rows[0].Counts = []byte(`{"attempts":2}`)
	must(t, b.store.KPIDayPut(ctx, rows[:1]))
	one, err := b.store.KPIDayGet(ctx, []store.KPIDayKey{rows[0].KPIDayKey, {Day: day(9), Application: "x", Environment: "y"}})
	must(t, err)
	if len(one) != 1 || string(one[0].Counts) != `{"attempts":2}` || string(one[0].Values) != "\x01\x02" || one[0].Event != 7 || !one[0].Day.Equal(day(1)) {
		t.Fatalf("rollup get = %+v", one)
	}
	changed, err := b.store.KPIDayChanged(ctx, 7, 10)
	must(t, err)
	if len(changed) != 2 || changed[0].Event != 8 || changed[1].Event != 9 {
		t.Fatalf("rollups changed after event 7 = %+v; want those of events 8 and 9, in order", changed)
	}
	if changed, err = b.store.KPIDayChanged(ctx, 0, 1); err != nil || len(changed) != 1 || changed[0].Event != 7 {
		t.Fatalf("the first rollup changed = %+v, %v; want one, of event 7", changed, err)
	}
	list := func(p store.KPIDayListParams) []string {
		t.Helper()
		got, err := b.store.KPIDayList(ctx, p)
		must(t, err)
		var out []string
		for _, r := range got {
			out = append(out, r.Day.Format(time.DateOnly)+"/"+r.Application+"/"+r.Environment)
		}
		return out
	}
	for _, tc := range []struct {
		p    store.KPIDayListParams
		want string
	}{
		{store.KPIDayListParams{From: day(1), To: day(4)}, "[2026-01-01/checkout/prod 2026-01-02/cart/prod 2026-01-03//eu]"},
		{store.KPIDayListParams{From: day(2), To: day(3)}, "[2026-01-02/cart/prod]"},
		{store.KPIDayListParams{From: day(1), To: day(4), Applications: []string{"checkout"}}, "[2026-01-01/checkout/prod]"},
		{store.KPIDayListParams{From: day(1), To: day(4), Applications: []string{}}, "[]"},
		{store.KPIDayListParams{From: day(1), To: day(4), Environments: []string{"eu"}}, "[2026-01-03//eu]"},
		{store.KPIDayListParams{From: day(1), To: day(4), Environments: []string{}}, "[]"},
	} {
		if got := fmt.Sprint(list(tc.p)); got != tc.want {
			t.Errorf("KPIDayList(%+v) = %s, want %s", tc.p, got, tc.want)
		}
	}

	must(t, b.store.KPIActorAdd(ctx, []store.KPIActor{{Day: day(1), Application: "checkout", Actor: "ann", Event: 7}, {Day: day(1), Application: "checkout", Actor: "ann", Event: 7},
		{Day: day(2), Application: "cart", Actor: "ann", Event: 7}, {Day: day(2), Application: "cart", Actor: "bob", Event: 7}}))
	// A repeat later changes nothing, not even the stamp.
	must(t, b.store.KPIActorAdd(ctx, []store.KPIActor{{Day: day(1), Application: "checkout", Actor: "ann", Event: 9}, {Day: day(3), Application: "cart", Actor: "cy", Event: 9}}))
	actors := func(rows []store.KPIActor, err error) string {
		t.Helper()
		must(t, err)
		var s []string
		for _, r := range rows {
			s = append(s, fmt.Sprintf("%s/%s/%s@%d", r.Day.Format(time.DateOnly), r.Application, r.Actor, r.Event))
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"KPIActorList(day 1..3)", actors(b.store.KPIActorList(ctx, day(1), day(3))),
			"2026-01-01/checkout/ann@7 2026-01-02/cart/ann@7 2026-01-02/cart/bob@7"},
		{"KPIActorList(day 3..4)", actors(b.store.KPIActorList(ctx, day(3), day(4))), "2026-01-03/cart/cy@9"},
		{"KPIActorChanged(after 0)", actors(b.store.KPIActorChanged(ctx, 0, 100)),
			"2026-01-01/checkout/ann@7 2026-01-02/cart/ann@7 2026-01-02/cart/bob@7 2026-01-03/cart/cy@9"},
		{"KPIActorChanged(after 7)", actors(b.store.KPIActorChanged(ctx, 7, 100)), "2026-01-03/cart/cy@9"},
		{"KPIActorChanged(after 0, limit 2)", actors(b.store.KPIActorChanged(ctx, 0, 2)), "2026-01-01/checkout/ann@7 2026-01-02/cart/ann@7"},
		{"KPIActorChanged(after 9)", actors(b.store.KPIActorChanged(ctx, 9, 100)), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// Replicas fold at once: four projectors over one store while events are
// still being appended count every deploy exactly once.
func testKPIFoldRace(t *testing.T, d Driver) {
	b := setup(t, d)
	ctx := b.ctx
	_, err := b.store.ConfigApply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Team: "payments", Run: model.RunSpec{Command: "x"}, Instances: 1}},
		Environments: []model.Environment{{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}}},
	})
	must(t, err)
	day := time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)
	const deploys = 60
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := kpi.NewProjector(kpi.ProjectorConfig{Store: b.store, Batch: 3 + i})
			for {
				if err := p.CatchUp(ctx); err != nil {
					t.Errorf("projector %d: %v", i, err)
					return
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	for i := range deploys {
		exec := fmt.Sprintf("e%d", i)
		at := day.Add(time.Duration(i) * time.Minute)
		for j, k := range []model.EventKind{model.EventExecutionStarted, model.EventDeployStarted, model.EventDeploySucceeded, model.EventExecutionFinished} {
			ev := model.Event{Time: at.Add(time.Duration(j) * time.Second), Kind: k, Application: "checkout", Environment: "prod", ExecutionID: exec, Stage: "deploy", Version: exec}
			must(t, b.store.EventInsert(ctx, &ev))
		}
	}
	close(stop)
	wg.Wait()
	must(t, kpi.NewProjector(kpi.ProjectorConfig{Store: b.store}).CatchUp(ctx))
	rep, err := kpi.NewReporter(b.store).Report(ctx, kpi.Query{From: kpi.Day(day), To: kpi.Day(day).AddDate(0, 0, 1), By: kpi.BucketDay})
	must(t, err)
	if rep.Summary.Attempts != deploys || rep.Summary.Deploys != deploys {
		t.Fatalf("four projectors counted %d attempts, %d deploys; want %d each", rep.Summary.Attempts, rep.Summary.Deploys, deploys)
	}
}
