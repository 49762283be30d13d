package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// TestListPages renders the executions, pipelines and events pages of the
// rig's store with their filters, and the pages that are not there.
func TestListPages(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, tc := range []struct {
		path       string
		code       int
		want, lack []string
	}{
		{"/executions", 200, []string{"<h1>Executions</h1>", `data-execution="exec-waiting"`, `data-execution="exec-failed"`,
			`href="/pipelines/checkout/checkout-canary"`, `name="actor"`, `type="datetime-local"`, `aria-current="page">Executions`}, nil},
		{"/executions?application=checkout&status=failed", 200, []string{"Executions of", `data-execution="exec-failed"`, `<option selected>failed</option>`},
			[]string{`data-execution="exec-waiting"`}},
		{"/executions?actor=bob", 200, []string{`data-execution="exec-waiting"`}, []string{`data-execution="exec-failed"`}},
		{"/executions?trigger=rollback", 200, []string{"No executions match"}, []string{`data-execution=`}},
		// The failed execution was created at t0, the waiting one 2 minutes later.
		{"/executions?since=" + t0.Local().Add(time.Minute).Format("2006-01-02T15:04"), 200, []string{`data-execution="exec-waiting"`}, []string{`data-execution="exec-failed"`}},
		{"/executions?until=" + t0.Local().Add(time.Minute).Format("2006-01-02T15:04"), 200, []string{`data-execution="exec-failed"`}, []string{`data-execution="exec-waiting"`}},
		{"/executions?status=exploded", 400, []string{"executions filter status", "use running, succeeded, failed or canceled"}, nil},
		{"/executions?since=yesterday", 400, []string{"executions filter since", "2026-11-27T10:00"}, nil},
		{"/executions?since=2026-11-28&until=2026-11-27", 400, []string{"is not after since"}, nil},
		{"/executions?after=garbage", 400, []string{"cursor after"}, nil},
		{"/executions?actor=" + strings.Repeat("x", maxFilterName+1), 400, []string{"executions filter actor is 201 characters long, at most 200"}, nil},
		{"/executions?application=nope", 404, []string{"Application nope not found"}, nil},
		{"/pipelines", 200, []string{"<h1>Pipelines</h1>", `data-pipeline="checkout-canary"`, `href="/pipelines/checkout/checkout-canary"`,
			"canary to prod", `href="/executions/exec-waiting" class="run"`, "deploy"}, nil},
		{"/pipelines?application=nope", 404, []string{"Application nope not found"}, nil},
		{"/pipelines/checkout/checkout-canary", 200, []string{"<h1>checkout-canary", `<svg class="graph" viewBox="0 0 412 82" width="412" role="img"`, `data-from="canary" data-to="approve"`,
			`id="stage-approve"`, "needs canary", "check the dashboards", "canary → prod", "Config of canary", `&#34;environment&#34;: &#34;prod&#34;`,
			"gennaker run checkout-canary", `data-execution="exec-failed"`, "on failure:"}, nil},
		{"/pipelines/other/checkout-canary", 404, []string{"not found"}, nil},
		{"/pipelines/checkout/nope", 404, []string{"not found"}, nil},
		{"/events?kind=rolled_back", 200, []string{"rolled back", `<option selected>rolled_back</option>`}, []string{"manual: approve"}},
		{"/events?environment=prod", 200, []string{"deployed", "rolled back"}, []string{"manual: approve"}},
		{"/events?kind=exploded", 400, []string{"events filter kind"}, nil},
		{"/events?before=x", 400, []string{"events page cursor before"}, nil},
		{"/no-such-page", 404, []string{"Page not found", "no page is at /no-such-page", `href="/"`}, nil},
		{"/applications/checkout/nope/deeper", 404, []string{"Page not found"}, nil},
	} {
		code, body := r.get(tc.path)
		if code != tc.code {
			t.Errorf("GET %s = %d, want %d:\n%s", tc.path, code, tc.code, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: body lacks %q", tc.path, w)
			}
		}
		for _, w := range tc.lack {
			if strings.Contains(body, w) {
				t.Errorf("GET %s: body has %q, want it left out", tc.path, w)
			}
		}
	}
}

// TestNotFoundAndRedirects: /applications leads to the applications page;
// an unknown API route answers the API's JSON, not a page.
func TestNotFoundAndRedirects(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{"/applications": "/", "/applications?after=b": "/?after=b"} {
		req, _ := http.NewRequest(http.MethodGet, r.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+r.token)
		resp, err := noFollow.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
			t.Errorf("GET %s = %d to %q, want 301 to %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/api/v1/no-such-route", nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var body struct{ Error, Code string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 404 || body.Code != "not_found" || !strings.Contains(body.Error, "docs/api.md") {
		t.Errorf("GET /api/v1/no-such-route = %d %+v (%v): want a JSON 404 pointing at docs/api.md", resp.StatusCode, body, err)
	}
}

var nextLink = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)

// TestExecutionsPaging walks /executions by its Next links: every
// execution once, newest first, with the filter kept on every page.
func TestExecutionsPaging(t *testing.T) {
	t.Parallel()
	_, get := fleet(t, 60, 2) // 120 executions, one a second
	for _, tc := range []struct {
		first string
		want  int
	}{{"/executions", 120}, {"/executions?actor=bob", 60}} {
		var ids []string
		path, pages := tc.first, 0
		for path != "" {
			body := get(path)
			pages++
			for _, m := range regexp.MustCompile(`data-execution="([^"]+)"`).FindAllStringSubmatch(body, -1) {
				ids = append(ids, m[1])
			}
			path = ""
			if m := nextLink.FindStringSubmatch(body); m != nil {
				path = html.UnescapeString(m[1])
				if tc.first != "/executions" && !strings.Contains(path, "actor=bob") {
					t.Fatalf("next page %s lost the filter", path)
				}
			}
			if pages > 10 {
				t.Fatal("more than 10 pages: the Next link does not move on")
			}
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%s: execution %s shown twice", tc.first, id)
			}
			seen[id] = true
		}
		if len(ids) != tc.want || pages != (tc.want+execsPerPage-1)/execsPerPage {
			t.Errorf("%s: %d executions on %d pages, want %d on %d", tc.first, len(ids), pages, tc.want, (tc.want+execsPerPage-1)/execsPerPage)
		}
		// Newest first: the fleet's last execution comes first.
		if tc.first == "/executions" && (ids[0] != "exec-59-1" || ids[len(ids)-1] != "exec-0-0") {
			t.Errorf("order %s … %s, want exec-59-1 … exec-0-0", ids[0], ids[len(ids)-1])
		}
	}
}

// TestEventsPaging walks /events back by Older and forward by Newer.
func TestEventsPaging(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	for i := range 2*eventsPerPage + 10 {
		must(t, r.st.EventInsert(ctx, &model.Event{Kind: model.EventDeployStarted, Application: "checkout", Environment: "prod",
			Version: fmt.Sprintf("p%d", i), Time: t0.Add(time.Duration(i) * time.Second)}))
	}
	older := regexp.MustCompile(`<a href="([^"]+)" rel="next">Older events`)
	newer := regexp.MustCompile(`<a href="([^"]+)" rel="prev">Newer events`)
	versions := regexp.MustCompile(`<td>(p\d+)</td>`)
	path, pages := "/events?kind=deploy_started", 0
	var seen []string
	var last string
	for path != "" {
		code, body := r.get(path)
		if code != 200 {
			t.Fatalf("GET %s = %d", path, code)
		}
		pages++
		for _, m := range versions.FindAllStringSubmatch(body, -1) {
			seen = append(seen, m[1])
		}
		last, path = body, ""
		if m := older.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
		if pages > 5 {
			t.Fatal("the Older link does not move on")
		}
	}
	want := 2*eventsPerPage + 10
	if len(seen) != want || pages != 3 || seen[0] != fmt.Sprintf("p%d", want-1) || seen[len(seen)-1] != "p0" || slices.Compact(slices.Clone(seen))[want-1] != "p0" {
		t.Fatalf("walking back: %d events on %d pages (%s … %s), want %d on 3, newest first", len(seen), pages, seen[0], seen[len(seen)-1], want)
	}
	// From the oldest page, Newer goes forward to the events after it.
	m := newer.FindStringSubmatch(last)
	if m == nil {
		t.Fatal("the oldest page has no Newer link")
	}
	_, body := r.get(html.UnescapeString(m[1]))
	got := versions.FindAllStringSubmatch(body, -1)
	if len(got) != eventsPerPage || got[len(got)-1][1] != "p10" || got[0][1] != fmt.Sprintf("p%d", 10+eventsPerPage-1) {
		t.Errorf("Newer from the oldest page: %d events, want the %d after p9 (p10 … p%d)", len(got), eventsPerPage, 10+eventsPerPage-1)
	}
}

// TestExecutionGraphAndCanaryProgress: the execution page draws the stages
// as a graph with the running one marked, and a canary's plan step by step
// with the running analysis interval and the time left.
func TestExecutionGraphAndCanaryProgress(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	now := t0.Add(time.Hour) // the rig's clock
	plan := strategy.Plan{Steps: []strategy.Step{
		{Action: strategy.ActionCreate, Ref: strategy.RefNew, Why: "start the canary: 2 instances of v5"},
		{Action: strategy.ActionWaitHealthy, Ref: strategy.RefNew, Why: "wait until every canary instance passes its health check"},
		{Action: strategy.ActionSetTraffic, Weights: map[strategy.Ref]int{strategy.RefNew: 25, "checkout-v002": 75}, CanaryRef: strategy.RefNew,
			Why: "step 1: canary 25%, serving 75%"},
		{Action: strategy.ActionAnalysis, Ref: strategy.RefNew, Analysis: &model.AnalysisStep{Interval: model.Duration(time.Minute), Intervals: 3},
			Why: "step 2: judge the canary against the baseline"},
		{Action: strategy.ActionPause, Pause: model.Duration(5 * time.Minute), Why: "step 3: pause for 5m"},
		{Action: strategy.ActionSetTraffic, Weights: map[strategy.Ref]int{strategy.RefNew: 100}, Why: "promote: send all traffic to the canary"},
	}}
	started := now.Add(-90 * time.Second)
	state, _ := json.Marshal(map[string]any{"phase": "run", "plan": plan, "next": 3, "stepStarted": started,
		"analysis": map[string]any{"interval": 1, "start": now.Add(-30 * time.Second), "end": now.Add(30 * time.Second)}})
	out, _ := json.Marshal(map[string]any{"summary": "step 4/6: step 2: judge the canary against the baseline", "environment": "prod", "version": "v5", "step": 3, "steps": 6})
	pipeline := model.Pipeline{Name: "checkout-canary", Application: "checkout", Stages: []model.StageSpec{
		{Name: "canary", Deploy: &model.DeployStage{Environment: "prod", Strategy: model.Strategy{Type: model.StrategyCanary}}},
		{Name: "approve", Needs: []string{"canary"}, Judgment: &model.JudgmentStage{}},
	}}
	must(t, r.st.ExecutionInsert(context.Background(), &model.Execution{ID: "exec-canary", Pipeline: "checkout-canary", Application: "checkout",
		Status: model.ExecutionRunning, Params: map[string]string{"version": "v5"}, Trigger: model.Trigger{Kind: "deploy"}, Spec: pipeline, CreatedAt: t0.Add(3 * time.Minute),
		Stages: []model.Stage{
			{Name: "canary", Type: model.StageDeploy, Status: model.StageRunning, Attempt: 1, State: state, Output: out, StartedAt: ptr(now.Add(-5 * time.Minute))},
			{Name: "approve", Type: model.StageJudgment, Status: model.StagePending},
		}}))
	code, body := r.get("/executions/exec-canary")
	if code != 200 {
		t.Fatalf("GET /executions/exec-canary = %d:\n%s", code, body)
	}
	for _, w := range []string{
		// The graph: the running stage highlighted, with status word and duration, an edge to what needs it.
		`<svg class="graph" viewBox="0 0 412 82" width="412" role="group"`, `class="node running current" data-stage="canary" data-status="running"`, "▶ running · 5m0s",
		`class="node muted" data-stage="approve" data-status="pending"`, `data-from="canary" data-to="approve"`, `href="#stage-canary"`,
		"<desc id=\"exec-graph-desc\">canary (deploy) running; approve (judgment) pending after canary.</desc>",
		// The plan in one numbering, and what the running step does now.
		"step 4 of 6: analysis — judge the canary against the baseline", "canary weight 25%",
		"analysis interval 2 of 3 (1m0s each), 30s left", "in this step for 1m30s",
		`data-state="done"><span class="step-no">3</span>`, `data-state="running"><span class="step-no">4</span>`, `data-state="pending"><span class="step-no">5</span>`,
		"<details open><summary>Plan (6 steps)",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("execution page lacks %q", w)
		}
	}
	for _, w := range []string{"step 2: judge", "step 4/6"} {
		if strings.Contains(body, w) {
			t.Errorf("execution page has %q: want one step numbering", w)
		}
	}
	// A failed canary marks the step it failed at.
	code, body = r.get("/executions/exec-failed")
	if code != 200 || !strings.Contains(body, `class="node failed" data-stage="canary" data-status="failed"`) {
		t.Errorf("failed execution's graph lacks the failed canary box (%d)", code)
	}
}
