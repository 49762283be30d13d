package server

import (
	"context"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
	"github.com/gennaker/gennaker/internal/stage"
)

// localTarget adapts the local provider to what deploy stages ask of a target.
type localTarget struct {
	p *local.Provider
}

var (
	_ stage.Target        = localTarget{}
	_ stage.DeployChecker = localTarget{}
)

// CheckDeploy refuses a deploy to an environment without a front door for
// the application, before any instance starts: the deploy could not route
// traffic to what it started, nor take it out of traffic to undo it.
func (localTarget) CheckDeploy(app model.Application, env model.Environment) error {
	if env.FrontDoors[app.Name] == "" {
		return noFrontDoor(app, env)
	}
	return nil
}

func noFrontDoor(app model.Application, env model.Environment) error {
	return fmt.Errorf("environment %s has no front door for %s (spec.frontDoors.%s is not set): add `frontDoors: {%s: 127.0.0.1:PORT}` to the spec of Environment %s, with a free PORT, and apply it",
		env.Name, app.Name, app.Name, app.Name, env.Name)
}

// refOf names sg on the local target: names count per environment.
func refOf(sg model.ServerGroup) local.GroupRef {
	return local.GroupRef{Environment: sg.Environment, Name: sg.Name}
}

func specOf(sg model.ServerGroup, app model.Application) local.ServerGroupSpec {
	return local.ServerGroupSpec{
		Name: sg.Name, Application: sg.Application, Environment: sg.Environment, Version: sg.Version,
		Instances: sg.Instances, Run: app.Run, Env: sg.Env, HealthCheck: app.HealthCheck,
	}
}

func (t localTarget) Ensure(ctx context.Context, sg model.ServerGroup, app model.Application) error {
	return t.p.EnsureServerGroup(ctx, specOf(sg, app))
}

func (t localTarget) CheckHealthy(ctx context.Context, sg model.ServerGroup, waited time.Duration) (bool, error) {
	return t.p.CheckHealthy(ctx, refOf(sg), waited)
}

func (t localTarget) Resize(ctx context.Context, sg model.ServerGroup, _ model.Application, n int) error {
	return t.p.Resize(ctx, refOf(sg), n)
}

func (t localTarget) Destroy(ctx context.Context, sg model.ServerGroup) error {
	return t.p.Destroy(ctx, refOf(sg))
}

func (t localTarget) Route(ctx context.Context, app model.Application, env model.Environment, routes []stage.Route) error {
	addr := env.FrontDoors[app.Name]
	if addr == "" {
		return noFrontDoor(app, env)
	}
	fd := local.FrontDoor{Application: app.Name, Environment: env.Name, Address: addr, Sticky: env.StickySessions}
	if tf := env.FrontDoorTLS; tf != nil {
		fd.TLS = &local.TLSFiles{CertFile: tf.CertFile, KeyFile: tf.KeyFile}
	}
	for _, r := range routes {
		fd.Routes = append(fd.Routes, local.Route{ServerGroup: r.ServerGroup, Weight: r.Weight, Canary: r.Canary})
	}
	return t.p.SetRoutes(ctx, fd)
}

// ConfirmTraffic is true at once: the front door routes by the new split
// as soon as SetRoutes returns.
func (localTarget) ConfirmTraffic(context.Context, model.Application, model.Environment, []stage.Route) (bool, string, error) {
	return true, "", nil
}

// Counters converts the proxy's cumulative (Prometheus-style) histogram to
// the per-bucket counts the analysis package works with.
func (t localTarget) Counters(_ context.Context, app, env string) (map[string]analysis.Counters, error) {
	out := map[string]analysis.Counters{}
	for name, c := range t.p.Snapshot(app, env) {
		per := make([]uint64, len(c.Buckets)+1)
		var prev uint64
		for i, cum := range c.Buckets {
			per[i] = cum - prev
			prev = cum
		}
		per[len(c.Buckets)] = c.Requests - prev
		out[name] = analysis.Counters{Requests: c.Requests, Errors: c.Errors, Buckets: per, Bounds: c.Bounds, Sum: c.Sum}
	}
	return out, nil
}

// localInspector reads health and logs from the local provider.
type localInspector struct{ p *local.Provider }

func (i localInspector) Health(ctx context.Context, env model.Environment, sg model.ServerGroup) (int, int, error) {
	if i.p == nil {
		return 0, sg.Instances, fmt.Errorf("environment %s: %w", env.Name, errLocalOnSharedStore)
	}
	h, err := i.p.Health(ctx, refOf(sg))
	if err != nil {
		return 0, sg.Instances, err
	}
	return h.Healthy, h.Desired, nil
}

func (i localInspector) Logs(ctx context.Context, env model.Environment, sg model.ServerGroup, tail int) (string, error) {
	if i.p == nil {
		return "", fmt.Errorf("environment %s: %w", env.Name, errLocalOnSharedStore)
	}
	lines, err := i.p.Logs(ctx, refOf(sg), tail)
	if err != nil {
		return "", err
	}
	var b []byte
	for _, l := range lines {
		b = fmt.Appendf(b, "[%d] %s\n", l.Instance, l.Text)
	}
	return string(b), nil
}
