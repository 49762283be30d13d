package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// perApplication is the applications page's reads before they were
// batched, kept to measure against: per application its last execution and
// its status, which read the application, the environments, its last 50
// executions and its server groups per environment, and the health of each
// group (deploy.Service.Status as it was).
type perApplication struct {
	st   store.Store
	insp deploy.Inspector
	*deploy.Service
}

func (p perApplication) Overview(ctx context.Context, apps []string) (*deploy.Overview, error) {
	out := &deploy.Overview{Statuses: map[string]*deploy.AppStatus{}, Latest: map[string]*model.Execution{}}
	for _, app := range apps {
		last, err := p.st.ExecutionList(ctx, store.ExecutionListParams{Application: app, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(last) > 0 {
			out.Latest[app] = &last[0]
		}
		if _, err := p.st.ApplicationGet(ctx, app); err != nil {
			return nil, err
		}
		envs, err := p.st.EnvironmentList(ctx)
		if err != nil {
			return nil, err
		}
		execs, err := p.st.ExecutionList(ctx, store.ExecutionListParams{Application: app, Limit: 50})
		if err != nil {
			return nil, err
		}
		facts := deploy.StatusFacts{Environments: envs, Latest: deploy.LatestByEnvironment(execs, envs), Health: map[deploy.GroupKey]deploy.Health{}}
		for _, env := range envs {
			groups, err := p.st.ServerGroupList(ctx, store.ServerGroupListParams{Application: app, Environment: env.Name})
			if err != nil {
				return nil, err
			}
			for _, sg := range groups {
				h, total, err := p.insp.Health(ctx, env, sg)
				facts.Health[deploy.GroupKey{Environment: env.Name, Name: sg.Name}] = deploy.Health{Read: true, Healthy: h, Total: total, Error: errText(err)}
			}
			facts.ServerGroups = append(facts.ServerGroups, groups...)
		}
		out.Statuses[app] = deploy.BuildStatus(app, facts)
	}
	return out, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// localFleet writes apps applications × envs local environments in one
// transaction: per application and environment two server groups (v1
// disabled, v2 serving) and a deploy execution, and per application a
// release pipeline's execution over every environment.
func localFleet(tb testing.TB, path string, apps, envs int) {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, nil)
	must2(tb, err)
	defer st.Close()
	var cfg model.Config
	var release []model.StageSpec
	for e := range envs {
		name := fmt.Sprintf("env-%d", e)
		cfg.Environments = append(cfg.Environments, model.Environment{Name: name, Target: model.TargetSpec{Kind: model.TargetLocal}})
		release = append(release, model.StageSpec{Name: "deploy-" + name, Deploy: &model.DeployStage{Environment: name}})
	}
	for a := range apps {
		cfg.Applications = append(cfg.Applications, model.Application{Name: fmt.Sprintf("app-%04d", a), Instances: 2,
			Run: model.RunSpec{Command: "app"}, HealthCheck: model.HealthCheck{Path: "/healthz"}})
	}
	_, err = st.ConfigApply(ctx, cfg)
	must2(tb, err)
	must2(tb, st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		n := 0
		insert := func(app string, spec model.Pipeline) error {
			n++
			at := t0.Add(time.Duration(n) * time.Second)
			var stages []model.Stage
			for _, s := range spec.Stages {
				stages = append(stages, model.Stage{Name: s.Name, Type: model.StageDeploy, Status: model.StageSucceeded, StartedAt: &at, EndedAt: &at})
			}
			return tx.ExecutionInsert(ctx, &model.Execution{ID: fmt.Sprintf("exec-%06d", n), Pipeline: spec.Name, Application: app,
				Status: model.ExecutionSucceeded, Params: map[string]string{"version": "v2"}, Trigger: model.Trigger{Kind: "deploy", Actor: "ci"},
				Spec: spec, CreatedAt: at, EndedAt: &at, Stages: stages})
		}
		for _, app := range cfg.Applications {
			for e, env := range cfg.Environments {
				for seq, status := range []model.ServerGroupStatus{model.ServerGroupDisabled, model.ServerGroupUp} {
					weight := 100 * seq
					if err := tx.ServerGroupInsert(ctx, &model.ServerGroup{Name: model.ServerGroupName(app.Name, seq+1), Application: app.Name,
						Environment: env.Name, Sequence: seq + 1, Version: fmt.Sprintf("v%d", seq+1), Role: model.RoleProduction, Status: status,
						Instances: 2, Weight: weight, LastGood: seq == 0, CreatedAt: t0.Add(time.Duration(e) * time.Minute)}); err != nil {
						return err
					}
				}
				if err := insert(app.Name, model.Pipeline{Name: "deploy-" + env.Name, Application: app.Name, Stages: release[e : e+1]}); err != nil {
					return err
				}
			}
			if err := insert(app.Name, model.Pipeline{Name: app.Name + "-release", Application: app.Name, Stages: release}); err != nil {
				return err
			}
		}
		return nil
	}))
}

func must2(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// instantHealth answers every group healthy at once, as the local
// provider does from memory.
type instantHealth struct{}

func (instantHealth) Health(_ context.Context, _ model.Environment, sg model.ServerGroup) (int, int, error) {
	return sg.Instances, sg.Instances, nil
}

func (instantHealth) Logs(context.Context, model.Environment, model.ServerGroup, int) (string, error) {
	return "", nil
}

// TestApplicationsPageLocalFleet measures GET / on SQLite with the local
// target's shape, 2,000 applications in 3 environments, with the page's
// reads batched (now) and per application (before), in alternating rounds.
// It runs with GENNAKER_BENCH_PAGES=1 (about a minute):
//
//	GENNAKER_BENCH_PAGES=1 go test -run TestApplicationsPageLocalFleet -v ./internal/web/
func TestApplicationsPageLocalFleet(t *testing.T) {
	if os.Getenv("GENNAKER_BENCH_PAGES") == "" {
		t.Skip("a benchmark: set GENNAKER_BENCH_PAGES=1 to run it")
	}
	const apps, envs, rounds, requests = 2000, 3, 5, 20
	path := filepath.Join(t.TempDir(), "gennaker.db")
	start := time.Now()
	localFleet(t, path, apps, envs)
	t.Logf("%d applications × %d environments written in %.1f s", apps, envs, time.Since(start).Seconds())
	st, err := sqlite.Open(t.Context(), path, nil)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	_, _, secret := newAdminToken(t, st)
	a := authn.New(authn.Config{Store: st})
	serve := func(status StatusSource) string {
		h := api.New(api.Config{Store: st, Auth: a, Deployer: &stubDeployer{},
			Extra: Mount(Config{Store: st, Status: status, Auth: a, Now: func() time.Time { return t0.Add(time.Hour) }})})
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	svc := &deploy.Service{Store: st, Inspector: instantHealth{}}
	urls := map[string]string{
		"batched":         serve(svc),
		"per application": serve(perApplication{st: st, insp: instantHealth{}, Service: svc}),
	}
	p50 := func(url string) float64 {
		var ds []float64
		for range requests {
			req, _ := http.NewRequest(http.MethodGet, url+"/", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			t0 := time.Now()
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET / = %d", resp.StatusCode)
			}
			ds = append(ds, float64(time.Since(t0).Microseconds())/1000)
		}
		sort.Float64s(ds)
		return ds[len(ds)/2]
	}
	var before, after, ratios []float64
	for range rounds {
		b, n := p50(urls["per application"]), p50(urls["batched"])
		before, after, ratios = append(before, b), append(after, n), append(ratios, b/n)
	}
	med := func(xs []float64) float64 { s := append([]float64(nil), xs...); sort.Float64s(s); return s[len(s)/2] }
	t.Logf("GET / at %d applications × %d environments, SQLite, %d rounds of %d requests: p50 per round before %v ms, after %v ms", apps, envs, rounds, requests, before, after)
	t.Logf("median p50: before %.1f ms, after %.1f ms, median ratio %.1f×", med(before), med(after), med(ratios))
	if med(after) >= 200 {
		t.Errorf("GET / takes %.1f ms at the median, want under 200 ms", med(after))
	}
}
