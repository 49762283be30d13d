package report

import (
	"context"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/store"
)

func TestThin(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var pts []store.SLOPoint
	for i := range 100 { // a point a minute for 100 minutes
		pts = append(pts, store.SLOPoint{At: from.Add(time.Duration(i) * time.Minute), BudgetRemaining: float64(i)})
	}
	to := from.Add(100 * time.Minute)
	got := Thin(pts, from, to, 10)
	if len(got) != 10 {
		t.Fatalf("%d points, want 10", len(got))
	}
	// The last point of each ten-minute slice: minutes 9, 19, ..., 99.
	for i, p := range got {
		if want := float64(10*i + 9); p.BudgetRemaining != want {
			t.Errorf("point %d is minute %v, want %v", i, p.BudgetRemaining, want)
		}
	}
	if n := len(Thin(pts, from, to, 200)); n != 100 {
		t.Errorf("thinning to more than there are keeps %d of 100", n)
	}
}

func TestParseMonth(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{in: "", want: "2026-12"},
		{in: "2026-11", want: "2026-11"},
		{in: "2026-12", want: "2026-12"},
		{in: "2017-01", want: "2017-01"},
		{in: "2016-11", err: true}, // over 120 months back
		{in: "2027-01", err: true}, // not begun
		{in: "2026-1", err: true},
		{in: "2026-13", err: true},
		{in: "12/2026", err: true},
	} {
		got, err := ParseMonth(tc.in, now)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseMonth(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

type fixedSource slo.Counts

func (f fixedSource) Counts(context.Context, model.SLO, model.Objective, time.Time, time.Time) (slo.Counts, error) {
	return slo.Counts(f), nil
}

func TestBySource(t *testing.T) {
	t.Parallel()
	b := BySource{model.SLOSourceFrontDoor: fixedSource{Good: 1, Total: 2}, model.SLOSourcePrometheus: fixedSource{Good: 3, Total: 4}}
	fd := model.Application{Name: "a", SLO: &model.AppSLO{Availability: 99}}.DefaultSLOs()[0]
	prom := model.SLO{Name: "p", Indicator: model.SLI{Total: &model.MetricQuery{Source: model.SLOSourcePrometheus}, Bad: &model.MetricQuery{Source: model.SLOSourcePrometheus}}}
	none := model.SLO{Name: "n"}
	if c, err := b.Counts(context.Background(), fd, model.Objective{}, time.Time{}, time.Time{}); err != nil || c.Total != 2 {
		t.Errorf("front door: %v %v", c, err)
	}
	if c, err := b.Counts(context.Background(), prom, model.Objective{}, time.Time{}, time.Time{}); err != nil || c.Total != 4 {
		t.Errorf("prometheus: %v %v", c, err)
	}
	if _, err := b.Counts(context.Background(), none, model.Objective{}, time.Time{}, time.Time{}); err == nil {
		t.Error("an SLO without metrics was counted")
	}
}
