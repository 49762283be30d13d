package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// testSLOConfig checks resolved SLOs as config: ConfigApply stores them as
// kind SLO (created, unchanged, updated), SLOGet and SLOList read them back
// whole, and ConfigDelete removes one with its status and history.
func testSLOConfig(t *testing.T, d Driver) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	slo := func(name string, target float64) model.SLO {
		return model.SLO{
			Name: name, DisplayName: "API availability", Service: "api", Application: "api", Environment: "prod",
			Indicator: model.SLI{Name: "errors",
				Bad:   &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: "http://127.0.0.1:9090", Query: `http_requests_total{code=~"5.."}`},
				Total: &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: "http://127.0.0.1:9090", Query: `http_requests_total`}},
			Window:     model.SLOWindow{Count: 1, Unit: "M", Start: start, TimeZone: "UTC"},
			Budgeting:  model.BudgetOccurrences,
			Objectives: []model.Objective{{Name: "available", Target: target}},
			Alerts: []model.BurnRateAlert{{Name: "fast", Severity: "page", Factor: 14.4,
				Long: model.Duration(time.Hour), Short: model.Duration(5 * time.Minute), For: model.Duration(2 * time.Minute), Notify: []string{"ops"}}},
			Origin: "openslo", Labels: map[string]string{"tier": "gold"},
		}
	}

	t.Run("ApplyGetList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		res, err := b.store.ConfigApply(b.ctx, model.Config{SLOs: []model.SLO{slo("api-availability", 0.999), slo("api-b", 0.99)}})
		must(t, err)
		if len(res.Created) != 2 || res.Created[0] != "SLO/api-availability" {
			t.Fatalf("created %v, want SLO/api-availability and SLO/api-b", res.Created)
		}
		got, err := b.store.SLOGet(b.ctx, "api-availability")
		must(t, err)
		if want := slo("api-availability", 0.999); !reflect.DeepEqual(*got, want) {
			t.Fatalf("read back\n%+v\nwant\n%+v", *got, want)
		}
		_, err = b.store.SLOGet(b.ctx, "nope")
		wantErrIs(t, err, store.ErrNotFound)
		list, err := b.store.SLOList(b.ctx)
		must(t, err)
		if len(list) != 2 || list[0].Name != "api-availability" || list[1].Name != "api-b" {
			t.Fatalf("listed %+v, want both by name", list)
		}

		res, err = b.store.ConfigApply(b.ctx, model.Config{SLOs: []model.SLO{slo("api-availability", 0.999), slo("api-b", 0.95)}})
		must(t, err)
		if len(res.Unchanged) != 1 || res.Unchanged[0] != "SLO/api-availability" || len(res.Updated) != 1 || res.Updated[0] != "SLO/api-b" {
			t.Fatalf("second apply: %+v, want api-availability unchanged and api-b updated", res)
		}
		got, err = b.store.SLOGet(b.ctx, "api-b")
		must(t, err)
		if got.Objectives[0].Target != 0.95 {
			t.Fatalf("api-b target %v after the update, want 0.95", got.Objectives[0].Target)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, err := b.store.ConfigApply(b.ctx, model.Config{SLOs: []model.SLO{slo("api-availability", 0.999), slo("api-b", 0.99)}})
		must(t, err)
		at := start.Add(time.Hour)
		for _, name := range []string{"api-availability", "api-b"} {
			must(t, b.store.SLOStatusPut(b.ctx, model.SLOStatus{Name: name, Application: "api", EvaluatedAt: at}))
			must(t, b.store.SLOPointAdd(b.ctx, []store.SLOPoint{{SLO: name, At: at, Good: 9, Total: 10}}))
		}
		res, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindSLOStored, Name: "api-availability"})
		must(t, err)
		if len(res.Objects) != 1 || res.Objects[0] != "SLO/api-availability" {
			t.Fatalf("removed %v, want SLO/api-availability", res.Objects)
		}
		_, err = b.store.SLOGet(b.ctx, "api-availability")
		wantErrIs(t, err, store.ErrNotFound)
		_, err = b.store.SLOStatusGet(b.ctx, "api-availability")
		wantErrIs(t, err, store.ErrNotFound)
		pts, err := b.store.SLOPointList(b.ctx, store.SLOPointListParams{SLO: "api-availability", From: start, To: at.Add(time.Hour)})
		must(t, err)
		if len(pts) != 0 {
			t.Fatalf("the deleted SLO keeps %d history points", len(pts))
		}
		// The other SLO keeps its own.
		if _, err := b.store.SLOStatusGet(b.ctx, "api-b"); err != nil {
			t.Fatalf("api-b lost its status: %v", err)
		}
		pts, err = b.store.SLOPointList(b.ctx, store.SLOPointListParams{SLO: "api-b", From: start, To: at.Add(time.Hour)})
		must(t, err)
		if len(pts) != 1 {
			t.Fatalf("api-b has %d points, want 1", len(pts))
		}
		_, err = b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindSLOStored, Name: "api-availability"})
		wantErrIs(t, err, store.ErrNotFound)
	})

	// Deleting the application takes its SLOs, their status and history,
	// and its front-door minutes: a new application of the same name (maybe
	// another team's) starts clean. Another application keeps its own.
	t.Run("DeleteApplication", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		other := slo("web-availability", 0.99)
		other.Application = "web"
		_, err := b.store.ConfigApply(b.ctx, model.Config{
			Applications: []model.Application{{Name: "api", Run: model.RunSpec{Command: "x"}, Instances: 1}, {Name: "web", Run: model.RunSpec{Command: "x"}, Instances: 1}},
			Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}}},
			SLOs:         []model.SLO{slo("api-availability", 0.999), other},
		})
		must(t, err)
		at := start.Add(time.Hour)
		for _, s := range []model.SLO{slo("api-availability", 0.999), other} {
			must(t, b.store.SLOStatusPut(b.ctx, model.SLOStatus{Name: s.Name, Application: s.Application, EvaluatedAt: at}))
			must(t, b.store.SLOPointAdd(b.ctx, []store.SLOPoint{{SLO: s.Name, At: at, Good: 9, Total: 10}}))
			must(t, b.store.TrafficMinutePut(b.ctx, []store.TrafficMinute{{Application: s.Application, Environment: "prod", Minute: at, Requests: 10, Errors: 1}}))
		}
		_, err = b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindApplication, Name: "api"})
		must(t, err)
		_, err = b.store.SLOGet(b.ctx, "api-availability")
		wantErrIs(t, err, store.ErrNotFound)
		_, err = b.store.SLOStatusGet(b.ctx, "api-availability")
		wantErrIs(t, err, store.ErrNotFound)
		minutes := func(app string) int {
			ms, err := b.store.TrafficMinuteList(b.ctx, store.TrafficMinuteListParams{Application: app, From: start, To: at.Add(time.Hour)})
			must(t, err)
			return len(ms)
		}
		points := func(name string) int {
			pts, err := b.store.SLOPointList(b.ctx, store.SLOPointListParams{SLO: name, From: start, To: at.Add(time.Hour)})
			must(t, err)
			return len(pts)
		}
		if minutes("api") != 0 || points("api-availability") != 0 {
			t.Fatalf("the deleted application keeps %d minutes and %d points", minutes("api"), points("api-availability"))
		}
		if _, err := b.store.SLOGet(b.ctx, "web-availability"); err != nil || minutes("web") != 1 || points("web-availability") != 1 {
			t.Fatalf("web lost its SLO (%v), minutes (%d) or points (%d)", err, minutes("web"), points("web-availability"))
		}
	})
}
