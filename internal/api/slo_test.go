package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/report"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// evenSource counts 100 requests a day, 1 of them failing, over any
// interval (a stand-in for the evaluator's SLI sources).
type evenSource struct{}

func (evenSource) Counts(_ context.Context, _ model.SLO, _ model.Objective, from, to time.Time) (slo.Counts, error) {
	days := to.Sub(from).Hours() / 24
	return slo.Counts{Good: 99 * days, Total: 100 * days}, nil
}

// sloServer serves the API over a real SQLite store with checkout's
// availability (99.9%) and latency (99%) shorthand SLOs, the first
// evaluated, and a deploy in production.
func sloServer(t *testing.T) (base, token string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	if _, err := st.ConfigApply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "checkout"}, HealthCheck: model.HealthCheck{Path: "/"},
			SLO: &model.AppSLO{Availability: 99.9, Latency: &model.AppLatency{P: 0.99, Under: model.Duration(300 * time.Millisecond)}}}},
		Environments: []model.Environment{{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.SLOStatusPut(ctx, model.SLOStatus{Name: "checkout-availability", Application: "checkout", EvaluatedAt: now,
		WindowStart: now.Add(-28 * 24 * time.Hour), WindowEnd: now,
		Objectives: []model.ObjectiveStatus{{Name: "availability", Target: 0.999, Good: 9995, Total: 10000, Attainment: 0.9995, BudgetRemaining: 0.5}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SLOPointAdd(ctx, []store.SLOPoint{{SLO: "checkout-availability", At: now.Add(-2 * time.Hour), Good: 9990, Total: 9995, BudgetRemaining: 0.5, BurnRate: 2}}); err != nil {
		t.Fatal(err)
	}
	if err := st.EventInsert(ctx, &model.Event{Kind: model.EventDeployStarted, Application: "checkout", Environment: "prod", Version: "v7", ExecutionID: "x", Time: now.Add(-90 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	id, hash, secret := auth.NewToken()
	if err := st.TokenInsert(ctx, &model.Token{ID: id, Name: "admin", Hash: hash, Role: model.RoleAdmin, CreatedBy: "t", Owner: "t", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st, Auth: authn.New(authn.Config{Store: st}),
		SLO: &report.Reader{Store: st, Source: evenSource{}}}))
	t.Cleanup(srv.Close)
	return srv.URL, secret
}

func getAPI(t *testing.T, base, token, path, accept string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestSLORoutes(t *testing.T) {
	t.Parallel()
	base, token := sloServer(t)

	code, _, body := getAPI(t, base, token, "/api/v1/slos", "")
	var list api.SLOList
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.SLOs) != 2 {
		t.Fatalf("GET /api/v1/slos: %d %s", code, body)
	}
	if s := list.SLOs[0]; s.SLO.Name != "checkout-availability" || s.Status == nil || s.Status.Objectives[0].BudgetRemaining != 0.5 {
		t.Errorf("first SLO %+v", s)
	}
	if s := list.SLOs[1]; s.SLO.Name != "checkout-latency" || s.Status != nil {
		t.Errorf("the latency SLO was never evaluated: %+v", s)
	}

	code, _, body = getAPI(t, base, token, "/api/v1/slos/checkout-availability", "")
	var d report.Detail
	if code != 200 || json.Unmarshal([]byte(body), &d) != nil {
		t.Fatalf("GET one SLO: %d %s", code, body)
	}
	// v7's hour, counted by the source: 100/24 requests, 1% failing, over
	// the window's budget (0.1% of the status' 10,000 requests).
	if len(d.Points) != 1 || len(d.Deploys) != 1 || d.Deploys[0].Version != "v7" || d.Deploys[0].Method != slo.BurnFromCounts {
		t.Fatalf("detail points %d deploys %+v", len(d.Points), d.Deploys)
	}
	if got, want := d.Deploys[0].Burned, (100.0/24*0.01)/(0.001*10000); abs(got-want) > 1e-9 {
		t.Errorf("v7 burned %v of the budget, want %v", got, want)
	}

	month := time.Now().UTC().AddDate(0, -1, 0).Format("2006-01")
	code, _, body = getAPI(t, base, token, "/api/v1/slos/checkout-availability/sla?month="+month, "")
	var rep slo.SLAReport
	if code != 200 || json.Unmarshal([]byte(body), &rep) != nil {
		t.Fatalf("GET sla: %d %s", code, body)
	}
	// 1% failing misses 99.9% and spends ten budgets.
	if rep.Met || rep.Partial || len(rep.Objectives) != 1 || abs(rep.Objectives[0].Attainment-0.99) > 1e-9 || abs(rep.Objectives[0].BudgetSpent-10) > 1e-6 {
		t.Errorf("SLA %+v", rep)
	}

	// Every SLO's month as CSV, asked by format or by Accept.
	for _, ask := range []struct{ path, accept string }{{"/api/v1/sla?format=csv&month=" + month, ""}, {"/api/v1/sla?month=" + month, "text/csv"}} {
		code, h, body := getAPI(t, base, token, ask.path, ask.accept)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if code != 200 || err != nil || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || len(rows) != 3 {
			t.Fatalf("GET %s (Accept %q): %d %v %s", ask.path, ask.accept, code, err, body)
		}
		if strings.Join(rows[0], ",") != strings.Join(report.SLACSVHeader, ",") || rows[1][2] != "checkout-availability" || rows[1][10] != "false" || rows[2][2] != "checkout-latency" || rows[2][10] != "true" {
			t.Errorf("CSV rows %v", rows)
		}
	}

	for path, want := range map[string]int{
		"/api/v1/slos/nope":                                    404,
		"/api/v1/slos/nope/sla":                                404,
		"/api/v1/slos/" + strings.Repeat("x", 300):             400,
		"/api/v1/sla?month=2026-1":                             400,
		"/api/v1/sla?month=3000-01":                            400,
		"/api/v1/sla?month=1990-01":                            400,
		"/api/v1/sla?format=xml":                               400,
		"/api/v1/slos?application=" + strings.Repeat("a", 300): 400,
	} {
		if code, _, body := getAPI(t, base, token, path, ""); code != want {
			t.Errorf("GET %s: %d, want %d: %s", path, code, want, body)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
