package server

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/internal/stage"
)

// k8sSyncInterval is how often every server group's pods are re-examined,
// beside the watch that labels a new pod as it is created.
const k8sSyncInterval = 10 * time.Second

// k8sStatusTimeout bounds reading one server group's health for status.
const k8sStatusTimeout = 5 * time.Second

// k8sTargets keeps one Kubernetes provider (one client) per environment,
// rebuilt when the environment's target changes.
type k8sTargets struct {
	ctx context.Context // the server's: ends the traffic sync loops
	log *slog.Logger

	// oob, when set, records the out-of-band changes each environment's
	// watch finds (oobLoop).
	oob *oobRecorder

	mu    sync.Mutex
	byEnv map[string]*k8sEntry
}

type k8sEntry struct {
	spec   model.TargetSpec
	files  []fileStamp // the kubeconfig files the client was built from
	target k8sTarget
	stop   context.CancelFunc
}

// klogOnce sends client-go's own log lines (a watch that failed, a
// throttled request) to the server's logger instead of stderr.
var klogOnce sync.Once

func newK8sTargets(ctx context.Context, log *slog.Logger) *k8sTargets {
	klogOnce.Do(func() { klog.SetSlogLogger(log.With("component", "client-go")) })
	return &k8sTargets{ctx: ctx, log: log, byEnv: map[string]*k8sEntry{}}
}

// target returns the environment's provider, creating its client on first
// use. The client is built again when the environment's target or the
// content of its kubeconfig files changed, and after the API server
// answered Unauthorized (a fixed token is picked up without a restart).
func (k *k8sTargets) target(env model.Environment) (k8sTarget, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.byEnv[env.Name]
	var seen []fileStamp
	if ok {
		seen = e.files
	}
	files := stampFiles(kubeconfigFiles(env.Target), seen)
	if ok {
		if reflect.DeepEqual(e.spec, env.Target) && sameContent(e.files, files) && !e.target.refused.Load() {
			e.files = files
			return e.target, nil
		}
		// Stop the old client's sync loop and forget it, so a failure below
		// never leaves a stopped entry to be handed out.
		k.log.Info("kubernetes: building the environment's client again", "environment", env.Name,
			"targetChanged", !reflect.DeepEqual(e.spec, env.Target), "kubeconfigChanged", !sameContent(e.files, files),
			"afterUnauthorized", e.target.refused.Load())
		e.stop()
		delete(k.byEnv, env.Name)
	}
	t := env.Target
	p, err := kubernetes.New(kubernetes.Config{
		Environment: env.Name, Kubeconfig: t.Kubeconfig, Context: t.Context, Namespace: t.Namespace,
		Traffic: t.Traffic, Gateway: t.Gateway,
		Logger: k.log.With("component", "kubernetes", "environment", env.Name),
	})
	if err != nil {
		return k8sTarget{}, err
	}
	ctx, stop := context.WithCancel(k.ctx)
	go k.syncLoop(ctx, env.Name, p)
	if k.oob != nil {
		go k.oobLoop(ctx, env, p)
	}
	e = &k8sEntry{spec: t, files: files, target: k8sTarget{p: p, env: env.Name, refused: new(atomic.Bool)}, stop: stop}
	k.byEnv[env.Name] = e
	return e.target, nil
}

// syncLoop keeps the pods of the environment's server groups labelled as
// their Deployments say, watching them; if the watch cannot start (the
// API server is down, or the Role lacks watch) it tries again.
func (k *k8sTargets) syncLoop(ctx context.Context, env string, p *kubernetes.Provider) {
	for ctx.Err() == nil {
		if err := p.RunTrafficSync(ctx, k8sSyncInterval); err != nil && ctx.Err() == nil {
			k.log.Warn("kubernetes: watching pods to keep their traffic labels", "environment", env, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(k8sSyncInterval):
		}
	}
}

// k8sTarget adapts the Kubernetes provider of one environment to what
// deploy stages ask of a target.
type k8sTarget struct {
	p   *kubernetes.Provider
	env string
	// refused is set when the API server answered Unauthorized: the next
	// lookup builds the client again from the kubeconfig.
	refused *atomic.Bool
}

// seen passes err on, noting an Unauthorized answer.
func (t k8sTarget) seen(err error) error {
	if apierrors.IsUnauthorized(err) && t.refused != nil {
		t.refused.Store(true)
	}
	return err
}

var _ stage.Target = k8sTarget{}

func (t k8sTarget) Ensure(ctx context.Context, sg model.ServerGroup, app model.Application) error {
	return t.seen(t.p.Ensure(ctx, sg, app))
}

func (t k8sTarget) CheckHealthy(ctx context.Context, sg model.ServerGroup, waited time.Duration) (bool, error) {
	ok, err := t.p.CheckRollout(ctx, sg.Name, waited)
	return ok, t.seen(err)
}

// Manifests renders what Ensure applies for the group (stage.ManifestRenderer).
func (t k8sTarget) Manifests(sg model.ServerGroup, app model.Application) (string, error) {
	return t.p.Manifests(sg, app)
}

func (t k8sTarget) Resize(ctx context.Context, sg model.ServerGroup, _ model.Application, n int) error {
	return t.seen(t.p.Resize(ctx, sg.Name, n))
}

func (t k8sTarget) Destroy(ctx context.Context, sg model.ServerGroup) error {
	return t.seen(t.p.Destroy(ctx, sg.Name))
}

func (t k8sTarget) Route(ctx context.Context, app model.Application, _ model.Environment, routes []stage.Route) error {
	return t.seen(t.p.Route(ctx, app, k8sRoutes(routes)))
}

// ConfirmTraffic reads the EndpointSlices (and, in gateway mode, the
// HTTPRoute's status) to see whether the split reached the data plane.
func (t k8sTarget) ConfirmTraffic(ctx context.Context, app model.Application, _ model.Environment, routes []stage.Route) (bool, string, error) {
	return t.p.ConfirmTraffic(ctx, app, k8sRoutes(routes))
}

func k8sRoutes(routes []stage.Route) []kubernetes.Route {
	rs := make([]kubernetes.Route, 0, len(routes))
	for _, r := range routes {
		rs = append(rs, kubernetes.Route{ServerGroup: r.ServerGroup, Weight: r.Weight, Canary: r.Canary})
	}
	return rs
}

// Counters fails: analysis on Kubernetes reads Prometheus.
func (t k8sTarget) Counters(context.Context, string, string) (map[string]analysis.Counters, error) {
	return nil, fmt.Errorf("environment %s: %w", t.env, kubernetes.ErrNoCounters)
}

// inspector reads health and logs from the target of each environment.
type inspector struct {
	local localInspector
	k8s   *k8sTargets
}

func (i inspector) Health(ctx context.Context, env model.Environment, sg model.ServerGroup) (int, int, error) {
	if env.Target.Kind != model.TargetKubernetes {
		return i.local.Health(ctx, env, sg)
	}
	t, err := i.k8s.target(env)
	if err != nil {
		return 0, sg.Instances, err
	}
	// Status must answer while a cluster is down: no minutes of retries.
	ctx, cancel := context.WithTimeout(ctx, k8sStatusTimeout)
	defer cancel()
	ready, total, err := t.p.Health(ctx, sg.Name)
	if err != nil {
		return 0, sg.Instances, fmt.Errorf("environment %s: %w", env.Name, t.seen(err))
	}
	return ready, total, nil
}

func (i inspector) Logs(ctx context.Context, env model.Environment, sg model.ServerGroup, tail int) (string, error) {
	if env.Target.Kind != model.TargetKubernetes {
		return i.local.Logs(ctx, env, sg, tail)
	}
	t, err := i.k8s.target(env)
	if err != nil {
		return "", err
	}
	text, err := t.p.Logs(ctx, sg.Name, tail)
	return text, t.seen(err)
}

// k8sAdopter takes over existing Deployments in Kubernetes environments and
// routes all of the application's traffic to them (creating the stable Service).
type k8sAdopter struct{ k8s *k8sTargets }

var _ deploy.Adopter = k8sAdopter{}

func (a k8sAdopter) Adopt(ctx context.Context, app model.Application, env model.Environment, req deploy.AdoptRequest) (model.ServerGroup, error) {
	t, err := a.k8s.target(env)
	if err != nil {
		return model.ServerGroup{}, err
	}
	if err := t.p.Preflight(ctx); err != nil { // before the Deployment is relabelled
		return model.ServerGroup{}, err
	}
	sg, err := t.p.Adopt(ctx, app, req.Deployment, req.TakeService)
	if err != nil {
		return model.ServerGroup{}, err
	}
	if err := t.p.Route(ctx, app, []kubernetes.Route{{ServerGroup: sg.Name, Weight: 100}}); err != nil {
		return model.ServerGroup{}, err
	}
	return sg, nil
}

var _ stage.ManifestRenderer = k8sTarget{}
