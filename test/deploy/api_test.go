package deploy

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/internal/execwait"
)

const (
	app = "sample"
	env = "local"
)

// appOpts shapes the test application.
type appOpts struct {
	instances int
	command   string   // default: the gennaker binary
	args      []string // default: sample-service
}

// apply stores the application, the local environment with its front door,
// and the given pipelines.
func (r *rig) apply(o appOpts, pipelines ...model.Pipeline) {
	r.t.Helper()
	if o.instances == 0 {
		o.instances = 2
	}
	if o.command == "" {
		o.command, o.args = exe, []string{"sample-service"}
	}
	for i := range pipelines {
		pipelines[i].Application = app
	}
	cfg := model.Config{
		Applications: []model.Application{{
			Name: app, Instances: o.instances,
			Run: model.RunSpec{Command: o.command, Args: o.args},
			// What the tests' deploys set for a version (a faulty canary).
			DeployEnv: []string{"SAMPLE_ERROR_RATE", "SAMPLE_LATENCY"},
			HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(200 * time.Millisecond),
				Timeout: model.Duration(time.Second), StartupTimeout: model.Duration(20 * time.Second)},
		}},
		Environments: []model.Environment{{Name: env, Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{app: r.frontDoor}}},
		Pipelines:    pipelines,
	}
	if _, err := r.c.Apply(r.ctx(), cfg); err != nil {
		r.t.Fatalf("apply: %v", err)
	}
}

// pipeline is a one-stage pipeline deploying to the local environment.
func pipeline(name string, s model.Strategy) model.Pipeline {
	return model.Pipeline{Name: name, Parameters: []model.Parameter{{Name: "version", Required: true}},
		Stages: []model.StageSpec{{Name: "deploy", Timeout: model.Duration(5 * time.Minute), Deploy: &model.DeployStage{Environment: env, Strategy: s}}}}
}

// deploy starts a deploy and returns its execution id.
func (r *rig) deploy(pipeline, version string, instanceEnv map[string]string) string {
	r.t.Helper()
	e, err := r.c.Deploy(r.ctx(), deploy.Request{Application: app, Environment: env, Version: version, Pipeline: pipeline, Env: instanceEnv})
	if err != nil {
		r.t.Fatalf("deploy %s via %s: %v", version, pipeline, err)
	}
	return e.ID
}

func (r *rig) rollback() string {
	r.t.Helper()
	e, err := r.c.Rollback(r.ctx(), deploy.RollbackRequest{Application: app, Environment: env})
	if err != nil {
		r.t.Fatalf("rollback: %v", err)
	}
	return e.ID
}

// finished reports whether an execution ended and no stage still cleans up.
func finished(e *model.Execution) bool {
	if !e.Status.Terminal() {
		return false
	}
	for _, s := range e.Stages {
		if !s.Status.Terminal() {
			return false
		}
	}
	return true
}

// wait waits until the execution ended and returns it.
func (r *rig) wait(id string, within time.Duration) *model.Execution {
	r.t.Helper()
	return r.waitFor(id, within, "to finish", finished)
}

// waitFor polls an execution until cond holds.
func (r *rig) waitFor(id string, within time.Duration, what string, cond func(*model.Execution) bool) *model.Execution {
	r.t.Helper()
	return execwait.For(r.t, r.ctx(), r.c, id, within, what, cond, describe)
}

func (r *rig) mustSucceed(id string, within time.Duration) *model.Execution {
	r.t.Helper()
	e := r.wait(id, within)
	if e.Status != model.ExecutionSucceeded {
		r.t.Fatalf("execution %s: want succeeded, got %s", id, describe(e))
	}
	return e
}

// stageOut is the deploy stage's output.
type stageOut struct {
	Summary      string            `json:"summary"`
	Step         int               `json:"step"`
	Steps        int               `json:"steps"`
	ServerGroups map[string]string `json:"serverGroups"`
	Plan         []string          `json:"plan"`
	Verdicts     []string          `json:"verdicts"`
}

func output(e *model.Execution) stageOut {
	var out stageOut
	for _, s := range e.Stages {
		if (s.Type == model.StageDeploy || s.Type == model.StageRollback) && len(s.Output) > 0 {
			_ = json.Unmarshal(s.Output, &out)
		}
	}
	return out
}

func describe(e *model.Execution) string {
	if e == nil {
		return "<nothing>"
	}
	var b strings.Builder
	b.WriteString(string(e.Status))
	if e.Reason != "" {
		b.WriteString(" (" + e.Reason + ")")
	}
	for _, s := range e.Stages {
		b.WriteString("; stage " + s.Name + " " + string(s.Status))
		if s.Reason != "" {
			b.WriteString(" (" + s.Reason + ")")
		}
		if o := output(e); o.Summary != "" {
			b.WriteString(": " + o.Summary)
		}
	}
	return b.String()
}

// groups returns the application's server groups in the environment (not
// destroyed ones), oldest first.
func (r *rig) groups() []deploy.ServerGroupStatus {
	r.t.Helper()
	st, err := r.c.Status(r.ctx(), app)
	if err != nil {
		r.t.Fatalf("status: %v", err)
	}
	for _, es := range st.Environments {
		if es.Environment == env {
			sort.Slice(es.ServerGroups, func(i, j int) bool { return es.ServerGroups[i].Sequence < es.ServerGroups[j].Sequence })
			return es.ServerGroups
		}
	}
	return nil
}

func (r *rig) group(name string) (deploy.ServerGroupStatus, bool) {
	for _, g := range r.groups() {
		if g.Name == name {
			return g, true
		}
	}
	return deploy.ServerGroupStatus{}, false
}

// events lists the events of one execution.
func (r *rig) events(id string) []model.Event {
	r.t.Helper()
	evs, err := r.c.Events(r.ctx(), url.Values{"application": {app}, "limit": {"1000"}})
	if err != nil {
		r.t.Fatalf("events: %v", err)
	}
	var out []model.Event
	for _, e := range evs {
		if e.ExecutionID == id {
			out = append(out, e)
		}
	}
	return out
}

func countKind(evs []model.Event, k model.EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

func groupsString(gs []deploy.ServerGroupStatus) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, g.Name+"("+g.Version+" "+string(g.Role)+" "+string(g.Status)+" w="+itoa(g.Weight)+" healthy="+itoa(g.Healthy)+"/"+itoa(g.Total)+")")
	}
	return "[" + strings.Join(parts, " ") + "]"
}
