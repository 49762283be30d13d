package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// countingStore counts the reads a page makes through it: every read of
// store.Queries a page or the deploy service's status could make.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingStore) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[name]++
}

// reset returns the calls counted so far, as "Name×n" sorted, and forgets them.
func (c *countingStore) reset() (total int, calls string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for name, n := range c.calls {
		total += n
		out = append(out, fmt.Sprintf("%s×%d", name, n))
	}
	sort.Strings(out)
	c.calls = map[string]int{}
	return total, strings.Join(out, " ")
}

func (c *countingStore) ApplicationGet(ctx context.Context, name string) (*model.Application, error) {
	c.count("ApplicationGet")
	return c.Store.ApplicationGet(ctx, name)
}

func (c *countingStore) ApplicationList(ctx context.Context, p store.ApplicationListParams) ([]model.Application, error) {
	c.count("ApplicationList")
	return c.Store.ApplicationList(ctx, p)
}

func (c *countingStore) EnvironmentGet(ctx context.Context, name string) (*model.Environment, error) {
	c.count("EnvironmentGet")
	return c.Store.EnvironmentGet(ctx, name)
}

func (c *countingStore) EnvironmentList(ctx context.Context) ([]model.Environment, error) {
	c.count("EnvironmentList")
	return c.Store.EnvironmentList(ctx)
}

func (c *countingStore) PipelineGet(ctx context.Context, name string) (*model.Pipeline, error) {
	c.count("PipelineGet")
	return c.Store.PipelineGet(ctx, name)
}

func (c *countingStore) PipelineList(ctx context.Context, p store.PipelineListParams) ([]model.Pipeline, error) {
	c.count("PipelineList")
	return c.Store.PipelineList(ctx, p)
}

func (c *countingStore) ExecutionGet(ctx context.Context, id string) (*model.Execution, error) {
	c.count("ExecutionGet")
	return c.Store.ExecutionGet(ctx, id)
}

func (c *countingStore) ExecutionList(ctx context.Context, p store.ExecutionListParams) ([]model.Execution, error) {
	c.count("ExecutionList")
	return c.Store.ExecutionList(ctx, p)
}

func (c *countingStore) ExecutionRecent(ctx context.Context, p store.ExecutionRecentParams) ([]model.Execution, error) {
	c.count("ExecutionRecent")
	return c.Store.ExecutionRecent(ctx, p)
}

func (c *countingStore) ExecutionLatest(ctx context.Context, p store.ExecutionLatestParams) ([]store.LatestExecution, error) {
	c.count("ExecutionLatest")
	return c.Store.ExecutionLatest(ctx, p)
}

func (c *countingStore) StageGet(ctx context.Context, executionID, name string) (*model.Stage, error) {
	c.count("StageGet")
	return c.Store.StageGet(ctx, executionID, name)
}

func (c *countingStore) ServerGroupGet(ctx context.Context, env, name string) (*model.ServerGroup, error) {
	c.count("ServerGroupGet")
	return c.Store.ServerGroupGet(ctx, env, name)
}

func (c *countingStore) ServerGroupList(ctx context.Context, p store.ServerGroupListParams) ([]model.ServerGroup, error) {
	c.count("ServerGroupList")
	return c.Store.ServerGroupList(ctx, p)
}

func (c *countingStore) EventList(ctx context.Context, p store.EventListParams) ([]model.Event, error) {
	c.count("EventList")
	return c.Store.EventList(ctx, p)
}

func (c *countingStore) AnalysisList(ctx context.Context, executionID string) ([]store.AnalysisRecord, error) {
	c.count("AnalysisList")
	return c.Store.AnalysisList(ctx, executionID)
}

func (c *countingStore) LeaseGet(ctx context.Context, key string) (store.LeaseHolder, bool, error) {
	c.count("LeaseGet")
	return c.Store.LeaseGet(ctx, key)
}

// countedInspector counts the targets' health reads.
type countedInspector struct {
	mu sync.Mutex
	n  int
}

func (i *countedInspector) Health(_ context.Context, _ model.Environment, sg model.ServerGroup) (int, int, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.n++
	return sg.Instances, sg.Instances, nil
}

func (i *countedInspector) Logs(context.Context, model.Environment, model.ServerGroup, int) (string, error) {
	return "", nil
}

// fleet is a UI over a store holding apps applications, each deployed to
// every one of envs environments (a server group and an execution each).
func fleet(t *testing.T, apps, envs int) (*countingStore, func(path string) string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	var cfg model.Config
	for e := range envs {
		cfg.Environments = append(cfg.Environments, model.Environment{Name: fmt.Sprintf("env-%d", e), Target: model.TargetSpec{Kind: model.TargetLocal}})
	}
	for a := range apps {
		cfg.Applications = append(cfg.Applications, model.Application{Name: fmt.Sprintf("app-%03d", a), Instances: 1,
			Run: model.RunSpec{Command: "app"}, HealthCheck: model.HealthCheck{Path: "/healthz"}})
	}
	for _, app := range cfg.Applications {
		for _, env := range cfg.Environments {
			cfg.Pipelines = append(cfg.Pipelines, model.Pipeline{Name: app.Name + "-to-" + env.Name, Application: app.Name,
				Stages: []model.StageSpec{{Name: "deploy", Deploy: &model.DeployStage{Environment: env.Name}}}})
		}
	}
	_, err = st.ConfigApply(ctx, cfg)
	must(t, err)
	for a, app := range cfg.Applications {
		for e, env := range cfg.Environments {
			spec := cfg.Pipelines[a*envs+e]
			actor := "ada" // and bob in every other environment, for the executions page's filters
			if e%2 == 1 {
				actor = "bob"
			}
			at := t0.Add(time.Duration(a*envs+e) * time.Second)
			must(t, st.ExecutionInsert(ctx, &model.Execution{ID: fmt.Sprintf("exec-%d-%d", a, e), Pipeline: spec.Name, Application: app.Name,
				Status: model.ExecutionSucceeded, Params: map[string]string{"version": "v1"}, Trigger: model.Trigger{Kind: "deploy", Actor: actor}, Spec: spec,
				CreatedAt: at, EndedAt: &at,
				Stages: []model.Stage{{Name: "deploy", Type: model.StageDeploy, Status: model.StageSucceeded}}}))
			must(t, st.ServerGroupInsert(ctx, &model.ServerGroup{Name: model.ServerGroupName(app.Name, 1), Application: app.Name, Environment: env.Name,
				Sequence: 1, Version: "v1", Role: model.RoleProduction, Status: model.ServerGroupUp, Instances: 1, Weight: 100, CreatedAt: at}))
		}
	}
	_, _, secret := newAdminToken(t, st)
	counted := &countingStore{Store: st, calls: map[string]int{}}
	a := authn.New(authn.Config{Store: st})
	status := &deploy.Service{Store: counted, Inspector: &countedInspector{}}
	h := api.New(api.Config{Store: st, Auth: a, Deployer: &stubDeployer{},
		Extra: Mount(Config{Store: counted, Status: status, Auth: a, Now: func() time.Time { return t0.Add(time.Hour) }})})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	get := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		b, err := io.ReadAll(resp.Body)
		must(t, err)
		return string(b)
	}
	return counted, get
}

// TestApplicationsPageQueries: the applications page reads the store a
// fixed number of times, however many applications it shows and however
// many environments they run in: no read per application or environment.
// The application page's reads do not grow with the environments either,
// nor do the executions, pipelines, events and execution pages' with the
// executions and pipelines they show.
func TestApplicationsPageQueries(t *testing.T) {
	t.Parallel()
	type fleetSize struct{ apps, envs int }
	sizes := []fleetSize{{10, 1}, {200, 1}, {10, 3}, {200, 3}}
	paths := []string{"/", "/applications/app-001", "/executions", "/executions?application=app-001&status=succeeded&trigger=deploy&actor=ada&since=2026-01-01",
		"/pipelines", "/pipelines/app-001/app-001-to-env-0", "/events", "/executions/exec-1-0"}
	pages, totals := map[string]map[fleetSize]string{}, map[string]map[fleetSize]int{}
	for _, p := range paths {
		pages[p], totals[p] = map[fleetSize]string{}, map[fleetSize]int{}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, size := range sizes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counted, get := fleet(t, size.apps, size.envs)
			for path := range pages {
				counted.reset()
				get(path)
				n, calls := counted.reset()
				mu.Lock()
				pages[path][size], totals[path][size] = calls, n
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for path, bySize := range pages {
		first := bySize[sizes[0]]
		for _, size := range sizes[1:] {
			if bySize[size] != first {
				t.Errorf("GET %s with %d applications in %d environments reads the store %d times (%s); with %d in %d, %d times (%s): want the same",
					path, size.apps, size.envs, totals[path][size], bySize[size], sizes[0].apps, sizes[0].envs, totals[path][sizes[0]], first)
			}
		}
		t.Logf("GET %s: %d reads (%s)", path, totals[path][sizes[0]], first)
	}
}
