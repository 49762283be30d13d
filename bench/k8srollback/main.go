// Command k8srollback measures how quickly a one-click rollback on a
// Kubernetes target sends all traffic back to the previous server group
// while that group still runs (red/black with maxRemaining 1), as the
// EndpointSlices of the application's stable Service show it.
//
// It starts a real control plane with test/k8senv (etcd, kube-apiserver,
// kube-controller-manager with its EndpointSlice controller, kube-scheduler,
// kwok nodes whose pods become Ready without containers), applies the
// documented gennaker Role and ServiceAccount (docs/kubernetes-rbac.yaml) to
// a fresh namespace, builds and starts a gennaker server process whose
// environment targets that namespace with the ServiceAccount's token
// kubeconfig (traffic: replicas), and deploys the application "shop"
// (registry.example.com/shop:{{version}}, -instances pods) as v1 then v2.
// It watches (informers, not polling) the pods and the EndpointSlices of
// the Service "shop", then repeatedly calls POST
// /api/v1/applications/shop/rollback and measures, from just before the
// request is sent:
//
//   - slices: until the Service's EndpointSlices list exactly the ready
//     pods of v1 and no pod of another version, and stay so;
//   - succeeded: until the rollback execution ended succeeded (its endedAt,
//     written by the server on the same clock);
//
// and, to show where the time goes, when the server had created the
// execution (createdAt), when every v1 pod carried gennaker.dev/enabled=true
// and when no pod of the rolled-back version did (as the pod watch
// delivered them).
//
// Then it deploys the next version (v3, v4, ...) and rolls back again, -n
// times. Target: slices < 1 s.
//
//	go run ./bench/k8srollback [-bin PATH] [-n 7] [-instances 3]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/k8senv"
)

const (
	app      = "shop"
	envName  = "k8s"
	pipeline = "rb"
)

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "gennaker binary (default: go build ./cmd/gennaker into a temp dir)")
	flag.IntVar(&o.n, "n", 7, "rollbacks to measure")
	flag.IntVar(&o.instances, "instances", 3, "pods per server group")
	flag.DurationVar(&o.hold, "hold", 500*time.Millisecond, "how long the EndpointSlices must stay exact before a version counts as serving")
	flag.BoolVar(&o.verbose, "v", false, "print every snapshot the watches delivered during each rollback")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (server log and data, control plane logs)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "k8srollback benchmark:", err)
		os.Exit(1)
	}
}

type options struct {
	bin          string
	n, instances int
	hold         time.Duration
	verbose      bool
	keep         bool
}

// result is one rollback: its timings, from just before the request was
// sent, and what was seen meanwhile.
type result struct {
	created   time.Duration // the server answered with the execution it created
	marked    time.Duration // the previous group's Deployment annotated enabled
	enabled   time.Duration // every pod of the previous group labelled enabled
	switched  time.Duration // the stable Service's selector names the previous group
	slices    time.Duration // the EndpointSlices exactly the previous group's ready pods, for good
	disabled  time.Duration // no pod of the rolled-back group labelled enabled
	succeeded time.Duration // the execution's endedAt

	empty     int // snapshots with no ready endpoint
	t0        time.Time
	timeline  []snapshot
	execution string
}

func run(o options) error {
	tmp, err := os.MkdirTemp("", "gennaker-bench-k8srollback-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Printf("keeping %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	path, err := harness.Binary(o.bin, tmp)
	if err != nil {
		return err
	}
	fmt.Printf("k8srollback benchmark: GOMAXPROCS/NumCPU %d/%d, binary %s, Kubernetes %s, kwok %s\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), path, k8senv.KubernetesVersion, k8senv.KwokVersion)

	t := time.Now()
	kc, err := k8senv.Launch(filepath.Join(tmp, "k8s"), k8senv.Options{NoGatewayAPI: true})
	if err != nil {
		return err
	}
	defer kc.Stop()
	fmt.Printf("control plane ready in %v (logs in %s)\n", time.Since(t).Round(time.Millisecond), kc.Dir)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	ns, err := kc.CreateNamespace(ctx, "k8srollback-")
	if err != nil {
		return err
	}
	id, err := kc.CreateServiceAccount(ctx, ns, tmp)
	if err != nil {
		return err
	}
	srv, err := harness.Start(harness.Options{Bin: path, TempDir: tmp})
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping server:", err)
		}
	}()
	if _, err := srv.WaitHealthy(ctx, 10*time.Millisecond); err != nil {
		return err
	}
	token, err := srv.Token()
	if err != nil {
		return err
	}
	c := client.New(srv.URL, token)
	cfg := config(id.Kubeconfig, ns, o.instances)
	if _, err := c.Apply(ctx, cfg); err != nil {
		return fmt.Errorf("apply config: %w", err)
	}
	rec, err := watch(ctx, kc.Clientset, ns, app, cfg.Applications[0].StableServiceName())
	if err != nil {
		return err
	}

	for _, v := range []string{"v1", "v2"} {
		if err := deployVersion(ctx, c, v); err != nil {
			return err
		}
	}
	var rs []result
	for i := 1; i <= o.n; i++ {
		cur, prev := fmt.Sprintf("v%d", i+1), "v1" // red/black keeps the group that served before the last deploy
		if i > 1 {
			if err := deployVersion(ctx, c, cur); err != nil {
				return err
			}
		}
		if err := rec.waitExact(ctx, cur, o.hold, time.Minute); err != nil {
			return fmt.Errorf("before rollback %d: %w", i, err)
		}
		r, err := rollback(ctx, c, rec, cur, prev, o.hold)
		if err != nil {
			return fmt.Errorf("rollback %d (%s -> %s): %w", i, cur, prev, err)
		}
		fmt.Printf("rollback %d: %s -> %s: created %5.1f, %s marked %6.1f, pods enabled %6.1f, Service selects it %6.1f, EndpointSlices exact %6.1f, %s pods disabled %6.1f, execution succeeded %6.1f ms; %d moments without a ready endpoint\n",
			i, cur, prev, ms(r.created), prev, ms(r.marked), ms(r.enabled), ms(r.switched), ms(r.slices), cur, ms(r.disabled), ms(r.succeeded), r.empty)
		if o.verbose {
			printTimeline(r.timeline, r.t0)
			if err := printEvents(ctx, c, r); err != nil {
				return err
			}
		}
		rs = append(rs, r)
	}
	report(rs)
	return nil
}

func config(kubeconfig, ns string, instances int) model.Config {
	return model.Config{
		Applications: []model.Application{{
			Name: app, Image: "registry.example.com/shop:{{version}}", Port: 8080, Instances: instances,
			HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(time.Second), Timeout: model.Duration(time.Second),
				StartupTimeout: model.Duration(time.Minute)},
		}},
		Environments: []model.Environment{{Name: envName, Target: model.TargetSpec{
			Kind: model.TargetKubernetes, Kubeconfig: kubeconfig, Namespace: ns, Traffic: model.TrafficReplicas,
		}}},
		Pipelines: []model.Pipeline{{
			Name: pipeline, Application: app, Parameters: []model.Parameter{{Name: "version", Required: true}},
			Stages: []model.StageSpec{{Name: "deploy", Timeout: model.Duration(5 * time.Minute), Deploy: &model.DeployStage{
				Environment: envName, Strategy: model.Strategy{Type: model.StrategyRedBlack, MaxRemaining: 1}}}},
		}},
	}
}

// deployVersion runs the red/black pipeline for version and waits for it
// to succeed.
func deployVersion(ctx context.Context, c *client.Client, version string) error {
	e, err := c.Deploy(ctx, deploy.Request{Application: app, Environment: envName, Version: version, Pipeline: pipeline})
	if err != nil {
		return fmt.Errorf("deploy %s: %w", version, err)
	}
	if _, err := waitSucceeded(ctx, c, e.ID); err != nil {
		return fmt.Errorf("deploy %s: %w", version, err)
	}
	return nil
}

// rollback requests the one-click rollback from cur to prev and measures it.
func rollback(ctx context.Context, c *client.Client, rec *recorder, cur, prev string, hold time.Duration) (result, error) {
	t0 := time.Now()
	e, err := c.Rollback(ctx, deploy.RollbackRequest{Application: app, Environment: envName, Reason: "bench/k8srollback"})
	if err != nil {
		return result{}, err
	}
	ended, err := waitSucceeded(ctx, c, e.ID)
	if err != nil {
		return result{}, err
	}
	if err := rec.waitExact(ctx, prev, hold, time.Minute); err != nil {
		return result{}, err
	}
	log := rec.since(t0)
	slicesAt, ok := settledAt(log, t0, prev)
	if !ok {
		return result{}, fmt.Errorf("the EndpointSlices did not settle on %s", prev)
	}
	markedAt, _ := firstAt(log, t0, func(s snapshot) bool { return s.marked[prev] })
	enabledAt, _ := firstAt(log, t0, func(s snapshot) bool { return s.pods[prev] > 0 && s.enabled[prev] == s.pods[prev] })
	switchedAt, _ := firstAt(log, t0, func(s snapshot) bool { return s.selects == prev })
	disabledAt, _ := firstAt(log, t0, func(s snapshot) bool { return s.enabled[cur] == 0 })
	return result{
		created:   e.CreatedAt.Sub(t0),
		marked:    sinceOrZero(markedAt, t0),
		enabled:   sinceOrZero(enabledAt, t0),
		switched:  sinceOrZero(switchedAt, t0),
		disabled:  sinceOrZero(disabledAt, t0),
		slices:    slicesAt.Sub(t0),
		succeeded: ended.Sub(t0),
		empty:     emptyMoments(log, t0),
		timeline:  log,
		t0:        t0,
		execution: e.ID,
	}, nil
}

// waitSucceeded follows execution id (server-sent events) until it ends and
// returns its endedAt when it succeeded.
func waitSucceeded(ctx context.Context, c *client.Client, id string) (time.Time, error) {
	e, err := c.Watch(ctx, id, func(*model.Execution) {})
	if err != nil {
		return time.Time{}, err
	}
	if e == nil || e.Status != model.ExecutionSucceeded || e.EndedAt == nil {
		status, reason := "unknown", ""
		if e != nil {
			status, reason = string(e.Status), e.Reason
		}
		return time.Time{}, fmt.Errorf("execution %s %s: %s", id, status, reason)
	}
	return *e.EndedAt, nil
}

func report(rs []result) {
	col := func(f func(result) time.Duration) []float64 {
		out := make([]float64, len(rs))
		for i, r := range rs {
			out[i] = f(r).Seconds()
		}
		return out
	}
	line := func(name string, xs []float64) {
		fmt.Printf("%-28s median %7.1f ms, p90 %7.1f ms, max %7.1f ms (n=%d)\n",
			name+":", 1000*harness.Median(xs), 1000*harness.P90(xs), 1000*slices.Max(xs), len(xs))
	}
	sl := col(func(r result) time.Duration { return r.slices })
	line("execution created", col(func(r result) time.Duration { return r.created }))
	line("previous Deployment marked", col(func(r result) time.Duration { return r.marked }))
	line("previous pods enabled", col(func(r result) time.Duration { return r.enabled }))
	line("Service selects previous", col(func(r result) time.Duration { return r.switched }))
	line("EndpointSlices exact", sl)
	line("rolled-back pods disabled", col(func(r result) time.Duration { return r.disabled }))
	line("execution succeeded", col(func(r result) time.Duration { return r.succeeded }))
	empty := 0
	for _, r := range rs {
		empty += r.empty
	}
	fmt.Printf("moments without a ready endpoint: %d\n", empty)
	verdict := "MET"
	if harness.Median(sl) >= 1 || harness.P90(sl) >= 1 {
		verdict = "MISSED"
	}
	fmt.Printf("target: EndpointSlices list only the previous group's ready pods < 1 s after the rollback request: %s\n", verdict)
}

func sinceOrZero(at, t0 time.Time) time.Duration {
	if at.IsZero() {
		return 0
	}
	return at.Sub(t0)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// printTimeline prints the snapshots of one rollback, offsets from t0.
func printTimeline(log []snapshot, t0 time.Time) {
	for _, s := range log {
		fmt.Printf("    %+8.1f ms  Service selects %-8q  EndpointSlices exact on %-6q  %d ready endpoints  pods %v  enabled %v  marked %v\n",
			ms(s.at.Sub(t0)), s.selects, s.exact, s.readyEndpoints, s.pods, s.enabled, s.marked)
	}
}

// printEvents prints the events the server recorded for the rollback's
// execution, offsets from the request (the server's clock is this one).
func printEvents(ctx context.Context, c *client.Client, r result) error {
	evs, err := c.Events(ctx, url.Values{"application": {app}, "limit": {"100"}})
	if err != nil {
		return err
	}
	slices.SortFunc(evs, func(a, b model.Event) int { return a.Time.Compare(b.Time) })
	for _, ev := range evs {
		if ev.ExecutionID == r.execution {
			fmt.Printf("    %+8.1f ms  event %s %s %s\n", ms(ev.Time.Sub(r.t0)), ev.Kind, ev.Action, ev.Detail)
		}
	}
	return nil
}
