package stage

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/internal/secret"
)

// canaryChecks is a canary at 25% judged only by checks, over intervals of
// a minute.
func canaryChecks(intervals int, checks ...model.AnalysisCheck) model.Strategy {
	w := 25
	return model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{
		Steps:    []model.CanaryStep{{SetWeight: &w}, analyzeFor(intervals)},
		Analysis: &model.AnalysisSpec{Checks: checks},
	}}
}

// sloServer answers the burn rate a test sets, per server group in the URL.
func sloServer(t *testing.T, burn *atomic.Value) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer slo-token-1234" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"group": strings.TrimPrefix(r.URL.Path, "/budget/"), "burnRate": burn.Load()})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func budgetCheck(url string, failureLimit int) model.AnalysisCheck {
	return model.AnalysisCheck{
		Name: "error-budget", FailureLimit: failureLimit,
		SuccessCondition: "result.burnRate < 1 && result.group.startsWith('checkout-v')", FailureCondition: "result.burnRate >= 2",
		Web: &model.WebCheck{URL: url + "/budget/{{serverGroup}}", Headers: map[string]model.StringOrSecret{
			"Authorization": model.FromSecret(model.SecretRef{Env: "SLO_TOKEN"}),
		}},
	}
}

func (b *deployBundle) withChecks(jobs CheckJobs) {
	b.deploy.Web = source.Web{Secrets: testResolver(map[string]string{"SLO_TOKEN": "Bearer slo-token-1234"})}
	b.deploy.CheckJobs = jobs
}

// A canary judged only by a web check against a real HTTP server passes
// every interval and is promoted; the records hold each measurement and
// never the header's secret.
func TestDeployCanaryWebCheckPasses(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.withChecks(nil)
	var burn atomic.Value
	burn.Store(0.5)
	srv := sloServer(t, &burn)
	b.deployV1(t)
	in := b.start(t, "exec-2", "v2", canaryChecks(2, budgetCheck(srv.URL, 0)), clock.Add(time.Hour))
	r := b.run(t, &in, 60)
	if r.Outcome != Succeeded {
		t.Fatalf("%s %s", outcomeName(r.Outcome), r.Reason)
	}
	recs, err := b.store.AnalysisList(t.Context(), "exec-2")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Outcome != "pass" || recs[1].Outcome != "pass" {
		t.Fatalf("records %+v, want two passing rounds of checks", recs)
	}
	var round analysis.CheckRound
	if err := json.Unmarshal(recs[1].Measurements, &round); err != nil {
		t.Fatal(err)
	}
	if round.Judge != analysis.JudgeChecks || len(round.Measurements) != 1 || round.Tallies[0].Successful != 2 {
		t.Errorf("second record %s, want the interval's measurement and 2 successful so far", recs[1].Measurements)
	}
	m := round.Measurements[0]
	if m.Phase != analysis.CheckSuccessful || m.Interval != 1 || !strings.HasSuffix(m.URL, "/budget/checkout-v003") {
		t.Errorf("measurement %+v: want successful, interval 1, the canary's URL", m)
	}
	for _, rec := range recs {
		if strings.Contains(string(rec.Measurements)+string(rec.Verdict)+rec.Reason, "slo-token-1234") {
			t.Error("a record holds the header's secret")
		}
	}
}

// Failures beyond failureLimit fail the analysis and roll the canary back,
// with a reason naming the check and what it read.
func TestDeployCanaryWebCheckFailureLimit(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.withChecks(nil)
	var burn atomic.Value
	burn.Store(3.0)
	srv := sloServer(t, &burn)
	b.deployV1(t)
	in := b.start(t, "exec-2", "v2", canaryChecks(3, budgetCheck(srv.URL, 1)), clock.Add(time.Hour))
	r := b.run(t, &in, 60)
	if r.Outcome != Failed {
		t.Fatalf("%s %s, want Failed", outcomeName(r.Outcome), r.Reason)
	}
	for _, want := range []string{"check error-budget failed 2 of 2 measurements (failureLimit 1)", "meets the failure condition", "rolled back automatically"} {
		if !strings.Contains(r.Reason, want) {
			t.Errorf("reason %q does not say %q", r.Reason, want)
		}
	}
	recs, _ := b.store.AnalysisList(t.Context(), "exec-2")
	if len(recs) != 2 || recs[0].Outcome != "pass" || recs[1].Outcome != "fail" {
		t.Errorf("records %+v, want the first failure tolerated and the second failing", recs)
	}
	if got := b.target.routeWeights(); got["checkout-v001"] != 100 {
		t.Errorf("routes %v, want all back on checkout-v001", got)
	}
}

// An unreachable endpoint is never a pass: after consecutiveErrorLimit the
// analysis is inconclusive and (onInconclusive: rollback) rolls back.
func TestDeployCanaryWebCheckErrorsAreInconclusive(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.withChecks(nil)
	b.deployV1(t)
	one := 1
	c := budgetCheck("http://127.0.0.1:1", 0)
	c.ConsecutiveErrorLimit = &one
	s := canaryChecks(3, c)
	s.Canary.OnInconclusive = "rollback"
	in := b.start(t, "exec-2", "v2", s, clock.Add(time.Hour))
	r := b.run(t, &in, 60)
	if r.Outcome != Failed || !strings.Contains(r.Reason, "inconclusive") || !strings.Contains(r.Reason, "could not measure 2 times in a row") {
		t.Fatalf("%s %s, want an inconclusive rollback after two errors", outcomeName(r.Outcome), r.Reason)
	}
}

// fakeJobs is a JobRunner whose Jobs finish as a test says; it counts the
// Jobs each name was created for.
type fakeJobs struct {
	mu      sync.Mutex
	created map[string]int
	polls   map[string]int
	deleted []string
	// finish says how a Job stands at its nth look (from 1).
	finish func(name string, n int) kubernetes.JobState
}

func (f *fakeJobs) RunAnalysisJob(_ context.Context, j kubernetes.AnalysisJob) (kubernetes.JobState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.polls[j.Name] == 0 {
		f.created[j.Name]++
	}
	f.polls[j.Name]++
	if c := j.Spec.Template.Spec.Containers; len(c) != 1 || c[0].Args[0] != "http://checkout-v003/healthz" {
		return kubernetes.JobState{}, fmt.Errorf("spec not rendered: %+v", c)
	}
	return f.finish(j.Name, f.polls[j.Name]), nil
}

func (f *fakeJobs) DeleteAnalysisJob(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, name)
	return nil
}

func smokeCheck(timeout time.Duration) model.AnalysisCheck {
	return model.AnalysisCheck{Name: "smoke", Job: &model.JobCheck{Timeout: model.Duration(timeout), Spec: model.Object{
		"backoffLimit": 0,
		"template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "smoke", "image": "curl", "args": []any{"http://{{serverGroup}}/healthz"}},
		}}},
	}}}
}

func TestDeployCanaryJobCheck(t *testing.T) {
	t.Parallel()
	code := int32(7)
	cases := []struct {
		name    string
		finish  func(name string, n int) kubernetes.JobState
		outcome Outcome
		reason  string
		deleted int
	}{
		{"a Job that succeeds on its third look", func(_ string, n int) kubernetes.JobState {
			return kubernetes.JobState{Done: n >= 3, Succeeded: n >= 3, Reason: "Complete"}
		}, Succeeded, "", 0},
		{"a failing container's exit code is the reason", func(string, int) kubernetes.JobState {
			return kubernetes.JobState{Done: true, Reason: "BackoffLimitExceeded: Job has reached the specified backoff limit",
				Container: "smoke", ExitCode: &code, ExitReason: "Error: healthz answered 503"}
		}, Failed, "failed: BackoffLimitExceeded: Job has reached the specified backoff limit (container smoke exited with 7: Error: healthz answered 503)", 0},
		{"a Job that never finishes is deleted and inconclusive", func(string, int) kubernetes.JobState {
			return kubernetes.JobState{Reason: "running: 0 active, 0 succeeded, 0 failed pods"}
		}, Failed, "did not finish within 10s (job.timeout", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := newDeployBundle(t)
			jobs := &fakeJobs{created: map[string]int{}, polls: map[string]int{}, finish: c.finish}
			b.withChecks(func(model.Environment) (JobRunner, error) { return jobs, nil })
			b.deployV1(t)
			one := 0
			chk := smokeCheck(10 * time.Second)
			chk.ConsecutiveErrorLimit = &one
			s := canaryChecks(1, chk)
			s.Canary.OnInconclusive = "rollback"
			in := b.start(t, "exec-2", "v2", s, clock.Add(time.Hour))
			r := b.run(t, &in, 80)
			if r.Outcome != c.outcome || !strings.Contains(r.Reason, c.reason) {
				t.Fatalf("%s %q, want %s with %q", outcomeName(r.Outcome), r.Reason, outcomeName(c.outcome), c.reason)
			}
			if len(jobs.created) != 1 {
				t.Errorf("Jobs created %v, want one Job for the one measurement", jobs.created)
			}
			for name, n := range jobs.created {
				if n != 1 || !strings.HasPrefix(name, "checkout-smoke-") || len(name) > 63 {
					t.Errorf("Job %s created %d times", name, n)
				}
			}
			if len(jobs.deleted) != c.deleted {
				t.Errorf("deleted %v, want %d", jobs.deleted, c.deleted)
			}
			recs, _ := b.store.AnalysisList(t.Context(), "exec-2")
			if len(recs) != 1 {
				t.Fatalf("records %+v, want one", recs)
			}
			var round analysis.CheckRound
			_ = json.Unmarshal(recs[0].Measurements, &round)
			if m := round.Measurements[0]; c.outcome == Failed && c.deleted == 0 && (m.ExitCode == nil || *m.ExitCode != 7 || m.Container != "smoke") {
				t.Errorf("measurement %+v: want the exit code and container recorded", m)
			}
		})
	}
}

// A job check in a local environment says what to use instead.
func TestDeployJobCheckNeedsKubernetes(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.withChecks(func(env model.Environment) (JobRunner, error) {
		return nil, fmt.Errorf("environment %s is not a kubernetes environment", env.Name)
	})
	b.deployV1(t)
	zero := 0
	chk := smokeCheck(time.Minute)
	chk.ConsecutiveErrorLimit = &zero
	s := canaryChecks(1, chk)
	s.Canary.OnInconclusive = "rollback"
	in := b.start(t, "exec-2", "v2", s, clock.Add(time.Hour))
	r := b.run(t, &in, 60)
	if r.Outcome != Failed || !strings.Contains(r.Reason, "environment local is not a kubernetes environment: a job check runs a Kubernetes Job; use a web check here") {
		t.Fatalf("%s %s", outcomeName(r.Outcome), r.Reason)
	}
}

func testResolver(vars map[string]string) *secret.Resolver {
	return &secret.Resolver{LookupEnv: func(name string) (string, bool) { v, ok := vars[name]; return v, ok }}
}
