package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo/report"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// sloAPI serves the real API over SQLite with checkout's availability SLO
// evaluated (a third of its budget left, page-1h firing) and a deploy of
// v9 in production two hours ago, burning at 30× for its first hour.
func sloAPI(t *testing.T) (base, token string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC().Truncate(time.Minute)
	if _, err := st.ConfigApply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "checkout"}, HealthCheck: model.HealthCheck{Path: "/"},
			SLO: &model.AppSLO{Availability: 99.9}}},
		Environments: []model.Environment{{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}}},
	}); err != nil {
		t.Fatal(err)
	}
	deploy := now.Add(-2 * time.Hour)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SLOStatusPut(ctx, model.SLOStatus{Name: "checkout-availability", Application: "checkout", EvaluatedAt: now,
		WindowStart: now.Add(-28 * 24 * time.Hour), WindowEnd: now,
		Objectives: []model.ObjectiveStatus{{Name: "availability", Target: 0.999, Good: 99_967, Total: 100_000, Attainment: 0.99967, BudgetRemaining: 0.33}},
		Alerts:     []model.AlertState{{Name: "page-1h", Severity: "page", Firing: true, Since: now.Add(-time.Hour), LongRate: 15, ShortRate: 16}}}))
	must(st.SLOPointAdd(ctx, []store.SLOPoint{
		{SLO: "checkout-availability", At: deploy, BurnRate: 30, BudgetRemaining: 0.4},
		{SLO: "checkout-availability", At: deploy.Add(time.Hour), BurnRate: 0, BudgetRemaining: 0.33},
	}))
	must(st.EventInsert(ctx, &model.Event{Kind: model.EventDeployStarted, Application: "checkout", Environment: "prod", Version: "v9", ExecutionID: "x9", Time: deploy}))
	id, hash, secret := auth.NewToken()
	must(st.TokenInsert(ctx, &model.Token{ID: id, Name: "cli", Hash: hash, Role: model.RoleAdmin, CreatedBy: "t", Owner: "t", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	srv := httptest.NewServer(api.New(api.Config{Store: st, Auth: authn.New(authn.Config{Store: st}), SLO: &report.Reader{Store: st}}))
	t.Cleanup(srv.Close)
	return srv.URL, secret
}

func runSLO(t *testing.T, base, token string, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"slo", "--server", base, "--token", token}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestSLOCommands(t *testing.T) {
	t.Parallel()
	base, token := sloAPI(t)
	for _, tc := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"list"}, []string{"NAME", "checkout-availability", "production", "99.9%", "99.97%", "33%", "alert firing", "page-1h"}},
		// 30× for the hour after v9, of a 28-day window: 30/672 of the budget,
		// integrated from the points (this server has no SLI source).
		{[]string{"show", "checkout-availability"}, []string{"SLO checkout-availability", "rolling 28d, Occurrences", "availability", "99.97%",
			"page-1h", "firing since", "deploy v9", "4.464%", "30x", "points"}},
		{[]string{"sla"}, []string{"SLA report " + time.Now().UTC().Format("2006-01"), "checkout-availability", "not counted: this server counts no SLI"}},
	} {
		out, err := runSLO(t, base, token, tc.args...)
		if err != nil {
			t.Fatalf("slo %v: %v", tc.args, err)
		}
		for _, w := range tc.wants {
			if !strings.Contains(out, w) {
				t.Errorf("slo %v lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
	out, err := runSLO(t, base, token, "show", "checkout-availability", "-o", "json")
	var d report.Detail
	if err != nil || json.Unmarshal([]byte(out), &d) != nil || d.SLO.Name != "checkout-availability" || len(d.Deploys) != 1 {
		t.Errorf("slo show -o json: %v\n%s", err, out)
	}
	out, err = runSLO(t, base, token, "sla", "-o", "csv")
	if err != nil || !strings.HasPrefix(out, strings.Join(report.SLACSVHeader, ",")+"\n") {
		t.Errorf("slo sla -o csv: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"sla", "--month", "2026-1"}, {"list", "-o", "csv"}, {"show", "nope"}} {
		if _, err := runSLO(t, base, token, bad...); err == nil {
			t.Errorf("slo %v: no error", bad)
		}
	}
}
