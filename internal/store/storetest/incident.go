package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func newIncident(id, app, env string, start time.Time) *model.Incident {
	return &model.Incident{ID: id, Application: app, Environment: env, Title: "checkout 5xx above 2%",
		Source: model.IncidentSourceAlertmanager, StartedAt: start, OpenedBy: "token:alertmanager",
		URL: "http://prometheus.example/graph", Labels: map[string]string{"alertname": "HighErrors", "severity": "page"}}
}

// An incident is written once (a resend of its ID writes nothing and gets
// the stored one), read back as written (UTC, at the store's precision),
// and resolved once: resolving again writes nothing and is no error, and
// a resolution before the start is refused.
func testIncident(t *testing.T, d Driver) {
	b := setup(t, d)
	inc := newIncident("am-1", "checkout", "prod", t0)
	got, inserted, err := b.store.IncidentInsert(b.ctx, inc)
	must(t, err)
	if !inserted {
		t.Fatal("first insert of am-1 reported not inserted")
	}
	want := *inc
	want.StartedAt = t0.UTC()
	if got.RecordedAt.IsZero() {
		t.Fatal("RecordedAt not set on insert")
	}
	want.RecordedAt = got.RecordedAt
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("inserted incident = %+v\nwant %+v", *got, want)
	}
	// A resend with other fields keeps the first.
	again := newIncident("am-1", "checkout", "prod", t0.Add(time.Hour))
	again.Title = "other"
	got, inserted, err = b.store.IncidentInsert(b.ctx, again)
	must(t, err)
	if inserted || got.Title != inc.Title || !got.StartedAt.Equal(t0) {
		t.Fatalf("resend of am-1 = %+v, inserted %v; want the first, false", got, inserted)
	}
	read, err := b.store.IncidentGet(b.ctx, "am-1")
	must(t, err)
	if !reflect.DeepEqual(*read, want) {
		t.Fatalf("IncidentGet = %+v\nwant %+v", *read, want)
	}
	_, err = b.store.IncidentGet(b.ctx, "nope")
	wantErrIs(t, err, store.ErrNotFound)

	// Resolve: before the start is refused; once; again writes nothing.
	if _, _, err := b.store.IncidentResolve(b.ctx, store.IncidentResolveParams{ID: "am-1", At: t0.Add(-time.Second), By: "x"}); err == nil {
		t.Fatal("resolving before the start succeeded; want the database to refuse it")
	}
	res, ok, err := b.store.IncidentResolve(b.ctx, store.IncidentResolveParams{ID: "am-1", At: t0.Add(time.Hour), By: "ada"})
	must(t, err)
	if !ok || res.ResolvedAt == nil || !res.ResolvedAt.Equal(t0.Add(time.Hour)) || res.ResolvedBy != "ada" || res.Open() {
		t.Fatalf("resolve = %+v, %v; want resolved at t0+1h by ada", res, ok)
	}
	res, ok, err = b.store.IncidentResolve(b.ctx, store.IncidentResolveParams{ID: "am-1", At: t0.Add(2 * time.Hour), By: "bob"})
	must(t, err)
	if ok || !res.ResolvedAt.Equal(t0.Add(time.Hour)) || res.ResolvedBy != "ada" {
		t.Fatalf("second resolve = %+v, %v; want the first resolution kept, false", res, ok)
	}
	_, _, err = b.store.IncidentResolve(b.ctx, store.IncidentResolveParams{ID: "nope", At: t0})
	wantErrIs(t, err, store.ErrNotFound)

	// An insert in a transaction that rolls back is gone.
	errRollback := errors.New("roll back")
	err = b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
		if _, ok, err := tx.IncidentInsert(ctx, newIncident("am-2", "checkout", "prod", t0)); err != nil || !ok {
			t.Errorf("insert am-2 in a transaction = %v, %v", ok, err)
		}
		if _, ok, err := tx.IncidentInsert(ctx, newIncident("am-2", "checkout", "prod", t0)); err != nil || ok {
			t.Errorf("second insert of am-2 in the same transaction = %v, %v; want false", ok, err)
		}
		return errRollback
	})
	wantErrIs(t, err, errRollback)
	_, err = b.store.IncidentGet(b.ctx, "am-2")
	wantErrIs(t, err, store.ErrNotFound)
}

// IncidentList filters by application(s), environment and openness, newest
// first by start, and pages with a cursor.
func testIncidentList(t *testing.T, d Driver) {
	b := setup(t, d)
	type row struct {
		id, app, env string
		at           time.Duration
		resolved     bool
	}
	rows := []row{
		{"i1", "checkout", "prod", 1 * time.Minute, true},
		{"i2", "checkout", "staging", 2 * time.Minute, false},
		{"i3", "billing", "prod", 3 * time.Minute, false},
		{"i4", "checkout", "prod", 4 * time.Minute, false},
		// Same start as i4: the ID breaks the tie.
		{"i5", "checkout", "prod", 4 * time.Minute, false},
		{"i6", "search", "prod", 5 * time.Minute, true},
	}
	for _, r := range rows {
		_, _, err := b.store.IncidentInsert(b.ctx, newIncident(r.id, r.app, r.env, t0.Add(r.at)))
		must(t, err)
		if r.resolved {
			_, _, err := b.store.IncidentResolve(b.ctx, store.IncidentResolveParams{ID: r.id, At: t0.Add(r.at + time.Minute)})
			must(t, err)
		}
	}
	ids := func(p store.IncidentListParams) []string {
		t.Helper()
		got, err := b.store.IncidentList(b.ctx, p)
		must(t, err)
		out := []string{}
		for _, inc := range got {
			out = append(out, inc.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		p    store.IncidentListParams
		want []string
	}{
		{"all", store.IncidentListParams{}, []string{"i6", "i5", "i4", "i3", "i2", "i1"}},
		{"application", store.IncidentListParams{Application: "checkout"}, []string{"i5", "i4", "i2", "i1"}},
		{"applications", store.IncidentListParams{Applications: []string{"billing", "search"}}, []string{"i6", "i3"}},
		{"environment", store.IncidentListParams{Environment: "prod"}, []string{"i6", "i5", "i4", "i3", "i1"}},
		{"open", store.IncidentListParams{OpenOnly: true}, []string{"i5", "i4", "i3", "i2"}},
		{"all filters", store.IncidentListParams{Application: "checkout", Applications: []string{"checkout"}, Environment: "prod", OpenOnly: true}, []string{"i5", "i4"}},
		{"limit", store.IncidentListParams{Limit: 2}, []string{"i6", "i5"}},
	} {
		if got := ids(tt.p); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: IncidentList = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Paging through with the cursor of each page's last incident.
	var all []string
	p := store.IncidentListParams{Limit: 2}
	for range 10 {
		page, err := b.store.IncidentList(b.ctx, p)
		must(t, err)
		for _, inc := range page {
			all = append(all, inc.ID)
		}
		if len(page) < p.Limit {
			break
		}
		last := page[len(page)-1]
		p.Before = &store.IncidentCursor{StartedAt: last.StartedAt, ID: last.ID}
	}
	if fmt.Sprint(all) != "[i6 i5 i4 i3 i2 i1]" {
		t.Fatalf("paged IncidentList = %v, want every incident once, newest first", all)
	}
}

// Many transactions open one incident at once, each appending its event
// when its insert wrote, and many resolve it: exactly one of each writes,
// so the log holds one incident_opened and one incident_resolved.
func testIncidentRace(t *testing.T, d Driver) {
	b := setup(t, d)
	const n = 12
	run := func(fn func(ctx context.Context, tx store.Tx, i int) (bool, error)) int {
		t.Helper()
		wrote := make([]bool, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
					ok, err := fn(ctx, tx, i)
					wrote[i] = ok
					return err
				})
			})
		}
		close(start)
		wg.Wait()
		count := 0
		for i := range n {
			must(t, errs[i])
			if wrote[i] {
				count++
			}
		}
		return count
	}
	opened := run(func(ctx context.Context, tx store.Tx, i int) (bool, error) {
		_, ok, err := tx.IncidentInsert(ctx, newIncident("am-race", "checkout", "prod", t0))
		if err != nil || !ok {
			return false, err
		}
		time.Sleep(20 * time.Millisecond) // hold the row, so the others wait on it
		return true, tx.EventInsert(ctx, &model.Event{Time: t0, Kind: model.EventIncidentOpened, Application: "checkout", Environment: "prod", Ref: "am-race"})
	})
	resolved := run(func(ctx context.Context, tx store.Tx, i int) (bool, error) {
		_, ok, err := tx.IncidentResolve(ctx, store.IncidentResolveParams{ID: "am-race", At: t0.Add(time.Duration(i+1) * time.Second)})
		if err != nil || !ok {
			return false, err
		}
		time.Sleep(20 * time.Millisecond)
		return true, tx.EventInsert(ctx, &model.Event{Time: t0, Kind: model.EventIncidentResolved, Application: "checkout", Environment: "prod", Ref: "am-race"})
	})
	if opened != 1 || resolved != 1 {
		t.Fatalf("%d of %d racing opens and %d racing resolves wrote; want exactly 1 each", opened, n, resolved)
	}
	evs, err := b.store.EventList(b.ctx, store.EventListParams{Kinds: []model.EventKind{model.EventIncidentOpened, model.EventIncidentResolved}})
	must(t, err)
	if len(evs) != 2 {
		t.Fatalf("the log holds %d incident events, want 2: %+v", len(evs), evs)
	}
}
