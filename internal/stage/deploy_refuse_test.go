package stage

import (
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/store"
)

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
			in := b.input(tc.params, tc.version)
			r := b.run(t, &in, 10)
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
	r := b.run(t, &in, 3) // plan, record the group, start it
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
	r := b.step(t, &in) // plans
	if r.Outcome != Continue {
		t.Fatalf("planning: %s %s", outcomeName(r.Outcome), r.Reason)
	}
	in.Execution.Params = map[string]string{"version": "v1", "env.NODE_OPTIONS": "--require /tmp/x.js"}
	r = b.run(t, &in, 10)
	if r.Outcome != Failed || !strings.Contains(r.Reason, "this run's env.NAME parameters: ") || !strings.Contains(r.Reason, "never set NODE_OPTIONS") {
		t.Fatalf("outcome %s (%s), want Failed naming the env.NAME parameters and NODE_OPTIONS", outcomeName(r.Outcome), r.Reason)
	}
	if len(b.target.started) > 0 {
		t.Errorf("started %v", b.target.started)
	}
}
