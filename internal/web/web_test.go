package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// rig is one test's UI over a real SQLite store seeded through the store API:
// the checkout application in prod with v1 (disabled, last good) and v2
// (serving), a red-black execution that succeeded, a canary execution whose
// analysis failed, and one waiting for a judgment.
type rig struct {
	t   *testing.T
	srv *httptest.Server
	st  store.Store
	// token is a global admin's API token; get sends it.
	token string
	dep   *stubDeployer
}

func newRig(t *testing.T) *rig { t.Helper(); return newRigWith(t, nil) }

// newRigWith is newRig whose status reads live health from insp.
func newRigWith(t *testing.T, insp deploy.Inspector) *rig {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	must(t, seed(ctx, st))
	_, _, secret := newAdminToken(t, st)
	a := authn.New(authn.Config{Store: st})
	dep := &stubDeployer{}
	h := api.New(api.Config{Store: st, Auth: a, Deployer: dep,
		Extra: Mount(Config{Store: st, Status: &deploy.Service{Store: st, Inspector: insp}, Auth: a, Now: func() time.Time { return t0.Add(time.Hour) }})})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{t: t, srv: srv, st: st, token: secret, dep: dep}
}

// newAdminToken stores a global admin token and returns it, its ID and the secret to send.
func newAdminToken(t *testing.T, st store.Store) (*model.Token, string, string) {
	t.Helper()
	id, hash, secret := auth.NewToken()
	tok := &model.Token{ID: id, Name: "web-test", Hash: hash, Role: model.RoleAdmin, CreatedBy: "test", Owner: "test", CreatedAt: t0, ExpiresAt: time.Now().Add(time.Hour)}
	must(t, st.TokenInsert(context.Background(), tok))
	return tok, id, secret
}

// stubDeployer stands in for the deploy service behind the API's action
// routes, so no-JS forms can be followed; it records who acted.
type stubDeployer struct {
	api.Deployer
	mu    sync.Mutex
	actor string
}

func (d *stubDeployer) Rollback(_ context.Context, req deploy.RollbackRequest) (*model.Execution, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.actor = req.Actor
	return &model.Execution{ID: "exec-rollback", Application: req.Application}, nil
}

func seed(ctx context.Context, st store.Store) error {
	pipeline := model.Pipeline{Name: "checkout-canary", Application: "checkout", Description: "canary to prod",
		Stages: []model.StageSpec{
			{Name: "canary", Deploy: &model.DeployStage{Environment: "prod", Strategy: model.Strategy{Type: model.StrategyCanary}}},
			{Name: "approve", Needs: []string{"canary"}, Judgment: &model.JudgmentStage{Instructions: "check the dashboards"}},
		}}
	if _, err := st.ConfigApply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Team: "payments", Description: "takes the money", Instances: 2,
			Run: model.RunSpec{Command: "checkout"}, HealthCheck: model.HealthCheck{Path: "/healthz"}}},
		Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"checkout": "127.0.0.1:18080"}}},
		Pipelines:    []model.Pipeline{pipeline},
	}); err != nil {
		return err
	}
	groups := []model.ServerGroup{
		{Name: "checkout-v001", Application: "checkout", Environment: "prod", Sequence: 1, Version: "v1", Role: model.RoleProduction, Status: model.ServerGroupDisabled, Instances: 2, Weight: 0, LastGood: true, CreatedAt: t0},
		{Name: "checkout-v002", Application: "checkout", Environment: "prod", Sequence: 2, Version: "v2", Role: model.RoleProduction, Status: model.ServerGroupUp, Instances: 2, Weight: 100, CreatedAt: t0},
	}
	for i := range groups {
		if err := st.ServerGroupInsert(ctx, &groups[i]); err != nil {
			return err
		}
	}
	out, _ := json.Marshal(map[string]any{"summary": "canary v3 rolled back", "environment": "prod", "version": "v3", "step": 2, "steps": 4,
		"verdicts": []string{"interval 1: fail (score 50): canary 5xx rate 20.0% vs baseline 0.0% exceeds the allowed increase of 2.0 points"}})
	failed := &model.Execution{ID: "exec-failed", Pipeline: "checkout-canary", Application: "checkout", Status: model.ExecutionFailed,
		Reason: "stage canary failed: canary analysis failed: canary 5xx rate 20.0% vs baseline 0.0% exceeds the allowed increase of 2.0 points",
		Params: map[string]string{"version": "v3"}, Trigger: model.Trigger{Kind: "deploy", Actor: "ada"}, Spec: pipeline, CreatedAt: t0, EndedAt: ptr(t0.Add(time.Minute)),
		Stages: []model.Stage{
			{Name: "canary", Type: model.StageDeploy, Status: model.StageFailed, Attempt: 1, Reason: "canary analysis failed: 5xx", Output: out, StartedAt: ptr(t0), EndedAt: ptr(t0.Add(time.Minute))},
			{Name: "approve", Type: model.StageJudgment, Status: model.StageSkipped, Reason: "a stage it needs did not succeed"},
		}}
	waiting := &model.Execution{ID: "exec-waiting", Pipeline: "checkout-canary", Application: "checkout", Status: model.ExecutionRunning,
		Params: map[string]string{"version": "v4"}, Trigger: model.Trigger{Kind: "deploy", Actor: "bob"}, Spec: pipeline, CreatedAt: t0.Add(2 * time.Minute),
		Stages: []model.Stage{
			{Name: "canary", Type: model.StageDeploy, Status: model.StageSucceeded, Attempt: 1, StartedAt: ptr(t0), EndedAt: ptr(t0.Add(time.Minute))},
			{Name: "approve", Type: model.StageJudgment, Status: model.StageWaiting, Attempt: 1, StartedAt: ptr(t0.Add(time.Minute))},
		}}
	for _, e := range []*model.Execution{failed, waiting} {
		if err := st.ExecutionInsert(ctx, e); err != nil {
			return err
		}
	}
	judge := analysis.ThresholdJudge{}
	spec := model.AnalysisSpec{MinRequests: 10}
	for i, canaryErrors := range []uint64{0, 40} {
		base := analysis.Measurement{ServerGroup: "checkout-v004", Role: model.RoleBaseline, Requests: 200, Errors: 0, Observations: 200, P95: 0.010}
		can := analysis.Measurement{ServerGroup: "checkout-v005", Role: model.RoleCanary, Requests: 200, Errors: canaryErrors, ErrorRate: float64(canaryErrors) / 200, Observations: 200, P95: 0.012}
		v := judge.Judge(analysis.Input{Spec: spec, Baseline: base, Canary: can})
		mb, _ := json.Marshal(map[string]any{"spec": analysis.Defaults(spec), "baseline": base, "canary": can})
		vb, _ := json.Marshal(v)
		if err := st.AnalysisInsert(ctx, &store.AnalysisRecord{ExecutionID: "exec-failed", Stage: "canary", Sequence: i + 1,
			StartedAt: t0.Add(time.Duration(i) * 10 * time.Second), EndedAt: t0.Add(time.Duration(i+1) * 10 * time.Second),
			Outcome: string(v.Outcome), Score: v.Score, Reason: v.Reason, Measurements: mb, Verdict: vb}); err != nil {
			return err
		}
	}
	for _, ev := range []model.Event{
		{Kind: model.EventDeploySucceeded, Application: "checkout", Environment: "prod", Version: "v2", ExecutionID: "exec-ok", Time: t0},
		{Kind: model.EventRolledBack, Application: "checkout", Environment: "prod", Version: "v3", ExecutionID: "exec-failed", Detail: "canary analysis failed", Time: t0.Add(time.Minute)},
		{Kind: model.EventManualStep, Action: "approve", Actor: "ada", Application: "checkout", ExecutionID: "exec-waiting", Time: t0.Add(2 * time.Minute)},
	} {
		if err := st.EventInsert(ctx, &ev); err != nil {
			return err
		}
	}
	return nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// get fetches path and returns the status and body.
func (r *rig) get(path string) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPages(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/", []string{"<h1>Applications</h1>", `href="/applications/checkout"`, "takes the money", "checkout-v001", "checkout-v002",
			`data-group="checkout-v002" data-weight="100"`, "last good", "exec-waiting", "running", "front door 127.0.0.1:18080",
			"waiting for approval: stage approve (an approver of the application answers)"}},
		{"/applications/checkout", []string{"<h1>checkout</h1>", `class="split"`, `data-version="v2" data-weight="100"`, "v2 100%",
			`data-api="/api/v1/applications/checkout/rollback"`, "Roll back prod", "data-confirm=", `data-api="/api/v1/applications/checkout/deploy"`,
			`<option value="checkout-canary" data-hint=`, `name="params"`, "exec-failed", "Recent executions",
			"Roll back: returns traffic to v1 (server group checkout-v001, disabled).", `<span class="box-role">production</span>`,
			"The rollback returns traffic to v1 (server group checkout-v001, disabled).", "waiting for approval: stage approve"}},
		{"/applications/checkout/rollback?environment=prod", []string{"Roll back checkout in prod?", `action="/applications/checkout/rollback"`,
			`<input type="hidden" name="environment" value="prod">`, "returns traffic to v1</strong> (server group checkout-v001, disabled)", "Yes, roll back to v1"}},
		{"/executions/exec-waiting", []string{`id="exec-status"`, `data-status="running"`, "Waiting for a person to approve or reject stage approve",
			`data-api="/api/v1/executions/exec-waiting/approve"`, `data-api="/api/v1/executions/exec-waiting/reject"`, "Cancel execution",
			`aria-label="Approve stage approve"`, ">Approve</button>", "Stage <strong>approve</strong> waits for your answer.",
			"check the dashboards", `data-live="/api/v1/executions/exec-waiting/stream"`, "--depth: 1", "needs canary"}},
		{"/executions/exec-failed", []string{"Failed: stage canary failed: canary analysis failed", "canary v3 rolled back", "step 3 of 4",
			"Canary verdicts", "/executions/exec-failed/analysis", "Skipped: a stage it needs did not succeed",
			`data-api="/api/v1/executions/exec-failed/retry"`, `action="/executions/exec-failed/retry"`, "Retry from canary"}},
		{"/executions/exec-failed/analysis", []string{"Why it failed", "exceeds the allowed increase", "<svg", "pass-line", "score per interval",
			"error-rate", "p95-latency", "Interval 2", "baseline vs canary", "minRequests", "errorRate"}},
		{"/events", []string{"Delivery events", "rolled back", "manual: approve", "canary analysis failed", `href="/executions/exec-failed"`}},
		{"/events?application=checkout", []string{"Delivery events of checkout", "deployed"}},
		{"/static/app.js", []string{"EventSource", "Log in again"}},
		{"/static/style.css", []string{":focus-visible"}},
	} {
		code, body := r.get(tc.path)
		if code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200:\n%s", tc.path, code, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: body lacks %q", tc.path, w)
			}
		}
	}
	// The finished execution's page does not listen for updates; the waiting one does.
	if _, body := r.get("/executions/exec-failed"); strings.Contains(body, "data-live=") {
		t.Errorf("a finished execution's page should not open a stream")
	}
}

// The confirmation page fixes the environment chosen on the application
// page; one the application is not in, or none, is refused.
func TestRollbackConfirmationNeedsItsEnvironment(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, q := range []string{"?environment=staging", ""} {
		code, body := r.get("/applications/checkout/rollback" + q)
		if code != http.StatusBadRequest || !strings.Contains(body, "Nothing to roll back") || strings.Contains(body, "Yes, roll back") {
			t.Errorf("GET rollback%s = %d, want 400 naming the environment:\n%s", q, code, body)
		}
	}
	if _, body := r.get("/applications/checkout/rollback?environment=prod"); strings.Contains(body, `id="rb-env"`) {
		t.Errorf("the confirmation page lets the environment be typed")
	}
}

// A running canary offers Promote fully and Abort, with the execution's
// version so a repeat does nothing; a judgment's buttons are Approve and
// Reject with the stage named beside them, not in the label.
func TestCanaryControls(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	pl, err := r.st.PipelineGet(ctx, "checkout-canary")
	must(t, err)
	out, _ := json.Marshal(map[string]any{"summary": "step 5/9: canary 25%", "environment": "prod", "version": "v5", "step": 4, "steps": 9})
	must(t, r.st.ExecutionInsert(ctx, &model.Execution{ID: "exec-canary", Pipeline: pl.Name, Application: "checkout", Status: model.ExecutionRunning,
		Params: map[string]string{"version": "v5"}, Spec: *pl, CreatedAt: t0.Add(3 * time.Minute),
		Stages: []model.Stage{
			{Name: "canary", Type: model.StageDeploy, Status: model.StageRunning, Attempt: 1, Output: out, StartedAt: ptr(t0.Add(3 * time.Minute))},
			{Name: "approve", Type: model.StageJudgment, Status: model.StagePending},
		}}))
	code, body := r.get("/executions/exec-canary")
	if code != http.StatusOK {
		t.Fatalf("GET = %d", code)
	}
	for _, w := range []string{`data-api="/api/v1/executions/exec-canary/promote"`, `formaction="/executions/exec-canary/abort"`,
		">Promote fully</button>", ">Abort</button>", `name="version" value="0"`, `name="stage" value="canary"`} {
		if !strings.Contains(body, w) {
			t.Errorf("the running canary's page lacks %q", w)
		}
	}
	if strings.Contains(body, "Retry from") {
		t.Errorf("a running execution offers a retry")
	}
	if _, body := r.get("/executions/exec-waiting"); strings.Contains(body, "Promote fully") || strings.Contains(body, "Approve approve") {
		t.Errorf("the judgment's page offers canary controls or repeats the stage name in the button")
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, path := range []string{"/applications/nope", "/applications/nope/rollback", "/executions/nope", "/executions/nope/analysis", "/events?application=nope"} {
		code, body := r.get(path)
		if code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, code)
		}
		if !strings.Contains(body, "not found") || !strings.Contains(body, `href="/"`) {
			t.Errorf("GET %s: the 404 page should say not found and link home:\n%s", path, body)
		}
	}
}

func TestEmptyAnalysis(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	code, body := r.get("/executions/exec-waiting/analysis")
	if code != 200 || !strings.Contains(body, "No analysis intervals are recorded") {
		t.Errorf("GET analysis of an execution without records = %d:\n%s", code, body)
	}
}

// TestNoJSRollback posts the confirm page's form as a browser without
// JavaScript would, and follows it to the started execution.
func TestNoJSRollback(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := func(site string, token string) *http.Request {
		req, _ := http.NewRequest("POST", r.srv.URL+"/applications/checkout/rollback", strings.NewReader("environment=prod"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req
	}
	resp, err := client.Do(form("same-origin", r.token))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/executions/exec-rollback" {
		t.Fatalf("POST rollback form = %d to %q, want 303 to /executions/exec-rollback", resp.StatusCode, resp.Header.Get("Location"))
	}
	if r.dep.actor != "token:web-test" {
		t.Errorf("the forwarded rollback acted as %q, want the logged-in token:web-test", r.dep.actor)
	}
	// Without a login the form leads to the login page.
	resp, err = client.Do(form("same-origin", ""))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("POST without a login = %d to %q, want 303 to the login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A cross-site form post is refused, with or without a credential.
	resp, err = client.Do(form("cross-site", r.token))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", resp.StatusCode)
	}
}

func TestParseParams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want map[string]string
		err  bool
	}{
		{"", map[string]string{}, false},
		{"a=1\n\n# note\n b = two words \n", map[string]string{"a": "1", "b": "two words"}, false},
		{"x=y=z", map[string]string{"x": "y=z"}, false},
		{"novalue", nil, true},
		{"=1", nil, true},
	} {
		got, err := parseParams(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("parseParams(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && len(got) != len(tc.want) {
			t.Errorf("parseParams(%q) = %v, want %v", tc.in, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("parseParams(%q)[%s] = %q, want %q", tc.in, k, got[k], v)
			}
		}
	}
}

// TestGenericVerdict renders a verdict shaped like a statistical judge's:
// per-metric classifications with statistics, and its own score thresholds.
func TestGenericVerdict(t *testing.T) {
	t.Parallel()
	rec := store.AnalysisRecord{ExecutionID: "x", Stage: "canary", Sequence: 1, Outcome: "fail", Score: 40, Reason: "latency is High",
		Verdict: json.RawMessage(`{"outcome":"fail","score":40,"scoreThresholds":{"pass":75,"marginal":50},
			"metrics":[{"name":"latency","classification":"High","baseline":{"mean":0.01,"count":300},"canary":{"mean":0.05,"count":290},"pValue":0.001,"effectSize":4.2}]}`),
		Measurements: json.RawMessage(`{}`)}
	v := buildAnalysis(execSummary{ID: "x"}, []store.AnalysisRecord{rec})
	st := v.Stages[0]
	if st.Pass != 75 || st.Marginal != 50 {
		t.Errorf("thresholds = %v/%v, want 75/50", st.Pass, st.Marginal)
	}
	c := st.Intervals[0].Checks[0]
	if c.Name != "latency" || c.Status != "high" || c.Baseline != "0.01 (mean)" || c.Canary != "0.05 (mean)" {
		t.Errorf("check = %+v", c)
	}
	var keys []string
	for _, s := range c.Stats {
		keys = append(keys, s.Key)
	}
	if got := strings.Join(keys, ","); got != "baseline.count,baseline.mean,canary.count,canary.mean,effectSize,pValue" {
		t.Errorf("statistics = %s", got)
	}
	if len(st.MetricPlots) != 1 || len(st.MetricPlots[0].Plot.Bars) != 2 {
		t.Errorf("metric plots = %+v", st.MetricPlots)
	}
}

func TestBriefFailureReason(t *testing.T) {
	t.Parallel()
	long := `stage "canary" failed: canary analysis failed: score 0.0 is fail (pass >= 95, fail <= 75); critical metric error-rate failed; error-rate high (canary higher than baseline: shift 0.3221, 98% interval [0.1364, 0.3432]); latency-p95 high (shift 0.02349); rolled back automatically: traffic is back on the previous server group`
	want := `stage "canary" failed: canary analysis failed: score 0.0 is fail (pass >= 95, fail <= 75); critical metric error-rate failed; …; rolled back automatically: traffic is back on the previous server group`
	if got := brief(long); got != want {
		t.Errorf("brief:\n got %s\nwant %s", got, want)
	}
	if short := `stage "smoke" failed: webhook answered 500`; brief(short) != short {
		t.Errorf("a short reason changed: %s", brief(short))
	}
}

// TestNoJSCancelAsksFirst: without JavaScript, Cancel leads to a page that
// asks first; only its form cancels.
func TestNoJSCancelAsksFirst(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	_, page := r.get("/executions/exec-waiting")
	if !strings.Contains(page, `<form method="get" action="/executions/exec-waiting/cancel"`) {
		t.Fatalf("the execution page's cancel form should ask first (GET):\n%s", page)
	}
	code, body := r.get("/executions/exec-waiting/cancel")
	if code != 200 || !strings.Contains(body, `<form method="post" action="/executions/exec-waiting/cancel"`) || !strings.Contains(body, "Yes, cancel it") {
		t.Fatalf("GET cancel = %d:\n%s", code, body)
	}
}

// TestApplicationsPages: / shows appsPerPage applications by name and links
// the next page, which starts after the last one shown.
func TestApplicationsPages(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	var cfg model.Config
	for i := range appsPerPage {
		cfg.Applications = append(cfg.Applications, model.Application{Name: fmt.Sprintf("app-%03d", i), Instances: 1,
			Run: model.RunSpec{Command: "app"}, HealthCheck: model.HealthCheck{Path: "/healthz"}})
	}
	_, err := r.st.ConfigApply(context.Background(), cfg)
	must(t, err)
	// app-000 .. app-049 and checkout: the first page ends at app-049.
	code, body := r.get("/")
	last := fmt.Sprintf("app-%03d", appsPerPage-1)
	if code != http.StatusOK || !strings.Contains(body, `href="/applications/app-000"`) || !strings.Contains(body, `href="/?after=`+last+`"`) ||
		strings.Contains(body, `href="/applications/checkout"`) {
		t.Fatalf("GET / = %d: want app-000 .. %s and a link to the page after %s, not checkout:\n%s", code, last, last, body)
	}
	code, body = r.get("/?after=" + last)
	if code != http.StatusOK || !strings.Contains(body, `href="/applications/checkout"`) || strings.Contains(body, `href="/applications/app-000"`) ||
		strings.Contains(body, "?after=checkout") || !strings.Contains(body, "First page") {
		t.Fatalf("GET /?after=%s = %d: want checkout alone, no next page:\n%s", last, code, body)
	}
}

// TestAPIApplicationsPage: GET /api/v1/applications answers limit
// applications and a Link to the next page, and the client follows the
// pages to the end (the rig serves the API as the server does).
func TestAPIApplicationsPage(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	var cfg model.Config
	for _, n := range []string{"a", "b", "c"} {
		cfg.Applications = append(cfg.Applications, model.Application{Name: n, Instances: 1, Run: model.RunSpec{Command: "app"}, HealthCheck: model.HealthCheck{Path: "/healthz"}})
	}
	_, err := r.st.ConfigApply(context.Background(), cfg)
	must(t, err)
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/api/v1/applications?limit=2", nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	var page []model.Application
	must(t, json.NewDecoder(resp.Body).Decode(&page))
	resp.Body.Close()
	if len(page) != 2 || page[0].Name != "a" || page[1].Name != "b" || !strings.Contains(resp.Header.Get("Link"), `cursor=`) {
		t.Fatalf("GET /api/v1/applications?limit=2 = %v, Link %q: want a, b and a next page", page, resp.Header.Get("Link"))
	}
	all, err := client.New(r.srv.URL, r.token).Applications(context.Background())
	must(t, err)
	var names []string
	for _, a := range all {
		names = append(names, a.Name)
	}
	if strings.Join(names, " ") != "a b c checkout" {
		t.Fatalf("client Applications = %v, want a b c checkout", names)
	}
	if code, body := r.get("/api/v1/applications?cursor=nonsense"); code != http.StatusBadRequest || !strings.Contains(body, "Link header") {
		t.Fatalf("GET with a bad cursor = %d %s, want 400 saying to pass the Link header's cursor", code, body)
	}
}
