package stage

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// startsTarget records the server groups a deploy asks it to start; every
// other method succeeds doing nothing.
type startsTarget struct {
	mu      sync.Mutex
	started []model.ServerGroup
}

func (t *startsTarget) Ensure(_ context.Context, sg model.ServerGroup, _ model.Application) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.started = append(t.started, sg)
	return nil
}
func (t *startsTarget) WaitHealthy(context.Context, model.ServerGroup) error { return nil }
func (t *startsTarget) Resize(context.Context, model.ServerGroup, model.Application, int) error {
	return nil
}
func (t *startsTarget) Destroy(context.Context, model.ServerGroup) error { return nil }
func (t *startsTarget) Route(context.Context, model.Application, model.Environment, []Route) error {
	return nil
}
func (t *startsTarget) Counters(context.Context, string, string) (map[string]analysis.Counters, error) {
	return nil, nil
}

// deployBundle is a deploy runner on a real SQLite store holding the
// application checkout (which lets a deploy set LOG_LEVEL) and the local
// environment.
type deployBundle struct {
	store  store.Store
	target *startsTarget
	deploy *Deploy
}

func newDeployBundle(t *testing.T) *deployBundle {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, err = st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "/bin/sh", Args: []string{"-c", "exec ./checkout --version {{version}}"}},
			DeployEnv: []string{"LOG_LEVEL"}}},
		Environments: []model.Environment{{Name: "local", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"checkout": "127.0.0.1:1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := &deployBundle{store: st, target: &startsTarget{}}
	b.deploy = &Deploy{Store: st, Targets: func(model.Environment) (Target, error) { return b.target, nil }}
	return b
}

// input is a highlander deploy stage of checkout to local, in an
// execution run with params.
func (b *deployBundle) input(params map[string]string, version string) Input {
	spec := model.StageSpec{Name: "deploy", Deploy: &model.DeployStage{Environment: "local", Version: version, Strategy: model.Strategy{Type: model.StrategyHighlander}}}
	in := inputFor(spec, clock, clock)
	in.Execution.Application, in.Execution.Params, in.Execution.CreatedAt = "checkout", params, clock
	return in
}

// run calls the runner until it fails or succeeds (at most n calls),
// feeding back its state.
func (b *deployBundle) run(t *testing.T, in Input, n int) Result {
	t.Helper()
	var r Result
	for range n {
		r = b.deploy.Run(t.Context(), in)
		if r.Outcome != Continue {
			return r
		}
		in.Stage.State = r.State
	}
	return r
}

func TestDeployRefusesUnsafeVersionsAndUnlistedVariables(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		params  map[string]string
		version string // deploy.version
		want    []string
	}{
		{name: "a shell command as the version parameter", params: map[string]string{"version": "v1; id > /tmp/pwned"},
			want: []string{`the version from the parameter "version": invalid version: "v1; id > /tmp/pwned"`}},
		{name: "a command substitution through deploy.version", params: map[string]string{"tag": "$(id)"}, version: "v-{{params.tag}}",
			want: []string{`the version from deploy.version "v-{{params.tag}}" of stage deploy: invalid version: "v-$(id)"`}},
		{name: "a loader hook as env.NAME", params: map[string]string{"version": "v1", "env.LD_PRELOAD": "/tmp/evil.so"},
			want: []string{"this run's env.NAME parameters: ", "a deploy may never set LD_PRELOAD (the dynamic loader"}},
		{name: "a variable the application does not list", params: map[string]string{"version": "v1", "env.PYTHONWARNINGS": "x", "env.BROWSER": "sh -c id"},
			want: []string{"a deploy may never set BROWSER", "PYTHONWARNINGS"}},
		{name: "an ordinary name the application does not list", params: map[string]string{"version": "v1", "env.FEATURE_X": "on"},
			want: []string{"a deploy of checkout may not set FEATURE_X", "lets a deploy set only LOG_LEVEL", "add FEATURE_X to spec.deployEnv of Application checkout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newDeployBundle(t)
			r := b.run(t, b.input(tc.params, tc.version), 10)
			if r.Outcome != Failed {
				t.Fatalf("outcome %s (%s), want Failed", outcomeName(r.Outcome), r.Reason)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Reason, w) {
					t.Errorf("reason %q does not say %q", r.Reason, w)
				}
			}
			if len(b.target.started) > 0 {
				t.Errorf("a refused deploy started %v", b.target.started)
			}
			groups, err := b.store.ServerGroupList(t.Context(), store.ServerGroupListParams{Application: "checkout", IncludeDestroyed: true})
			if err != nil || len(groups) > 0 {
				t.Errorf("a refused deploy recorded server groups %v (%v)", groups, err)
			}
		})
	}
}

// A listed variable and pipeline deploy.env (written by admins) reach the
// new server group.
func TestDeploySetsListedVariables(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	in := b.input(map[string]string{"version": "1.4.2+build.7", "env.LOG_LEVEL": "debug", "region": "eu"}, "")
	in.Spec.Deploy.Env = map[string]string{"REGION": "{{params.region}}", "JAVA_TOOL_OPTIONS": "-Xmx1g"}
	r := b.run(t, in, 3) // plan, create, wait healthy
	if r.Outcome == Failed {
		t.Fatalf("failed: %s", r.Reason)
	}
	if len(b.target.started) != 1 {
		t.Fatalf("started %d server groups, want 1", len(b.target.started))
	}
	sg := b.target.started[0]
	if sg.Version != "1.4.2+build.7" || sg.Env["LOG_LEVEL"] != "debug" || sg.Env["REGION"] != "eu" || sg.Env["JAVA_TOOL_OPTIONS"] != "-Xmx1g" {
		t.Errorf("server group %s version %q env %v, want 1.4.2+build.7 with LOG_LEVEL, REGION and JAVA_TOOL_OPTIONS", sg.Name, sg.Version, sg.Env)
	}
}

// An execution that planned before the rule (its state holds the plan)
// still cannot start a group with a variable the application does not list.
func TestDeployChecksVariablesAgainWhenItCreatesTheGroup(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	in := b.input(map[string]string{"version": "v1"}, "")
	r := b.deploy.Run(t.Context(), in) // plans
	if r.Outcome != Continue {
		t.Fatalf("planning: %s %s", outcomeName(r.Outcome), r.Reason)
	}
	in.Stage.State = r.State
	in.Execution.Params = map[string]string{"version": "v1", "env.NODE_OPTIONS": "--require /tmp/x.js"}
	r = b.run(t, in, 10)
	if r.Outcome != Failed || !strings.Contains(r.Reason, "this run's env.NAME parameters: ") || !strings.Contains(r.Reason, "never set NODE_OPTIONS") {
		t.Fatalf("outcome %s (%s), want Failed naming the env.NAME parameters and NODE_OPTIONS", outcomeName(r.Outcome), r.Reason)
	}
	if len(b.target.started) > 0 {
		t.Errorf("started %v", b.target.started)
	}
}
