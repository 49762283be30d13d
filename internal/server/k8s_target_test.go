package server_test

// End to end on Kubernetes: an in-process gennaker server (real SQLite,
// engine and deploy stages) deploying to real API servers started by
// test/k8senv. Pods on kwok run no containers, so these tests check the
// objects (Deployments, pods' labels, HTTPRoutes) and the server's records.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gateway "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gennaker/gennaker/internal/cliconfig"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/internal/server"
	"github.com/gennaker/gennaker/test/k8senv"
)

const k8sApp = "shop"

// startServer runs a gennaker server in this process until the test ends.
func startServer(t testing.TB) *client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var token string
	dir := t.TempDir()
	go func() {
		done <- server.Run(ctx, server.Options{
			DataDir: dir + "/data", Addr: "127.0.0.1:0", CLIConfig: dir + "/cli.yaml",
			Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
			Bootstrapped: func(b server.Bootstrap) { token = b.Token },
			Ready:        func(url string) { ready <- url },
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case url := <-ready:
		return client.New(url, token)
	case err := <-done:
		t.Fatalf("server: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return nil
}

func k8sApplication(instances int) model.Application {
	return model.Application{
		Name: k8sApp, Image: "registry.example.com/shop:{{version}}", Port: 8080, Instances: instances,
		HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(time.Second), Timeout: model.Duration(time.Second), StartupTimeout: model.Duration(30 * time.Second)},
	}
}

// k8sEnvironment points an environment at ns as the ServiceAccount the docs
// tell users to create (docs/kubernetes-rbac.yaml), not as an admin.
func k8sEnvironment(t testing.TB, name string, e *k8senv.Env, ns string, traffic model.TrafficMode) model.Environment {
	env := model.Environment{Name: name, Target: model.TargetSpec{
		Kind: model.TargetKubernetes, Kubeconfig: e.ServiceAccount(t, ns).Kubeconfig, Namespace: ns, Traffic: traffic,
	}}
	if traffic == model.TrafficGateway {
		env.Target.Gateway = &model.GatewayRef{Name: "public"}
	}
	return env
}

func deployPipeline(name, env string, s model.Strategy) model.Pipeline {
	return model.Pipeline{Name: name, Application: k8sApp, Parameters: []model.Parameter{{Name: "version", Required: true}},
		Stages: []model.StageSpec{{Name: "deploy-" + env, Timeout: model.Duration(5 * time.Minute), Deploy: &model.DeployStage{Environment: env, Strategy: s}}}}
}

func mustSucceed(t *testing.T, c *client.Client, e *model.Execution, err error) *model.Execution {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		got, err := c.Execution(context.Background(), e.ID)
		if err == nil && got.Status.Terminal() {
			if got.Status != model.ExecutionSucceeded {
				t.Fatalf("execution %s: %s: %s", e.ID, got.Status, got.Reason)
			}
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("execution %s did not finish", e.ID)
	return nil
}

func groups(t *testing.T, c *client.Client, env string) []deploy.ServerGroupStatus {
	t.Helper()
	st, err := c.Status(context.Background(), k8sApp)
	if err != nil {
		t.Fatal(err)
	}
	for _, es := range st.Environments {
		if es.Environment == env {
			sort.Slice(es.ServerGroups, func(i, j int) bool { return es.ServerGroups[i].Sequence < es.ServerGroups[j].Sequence })
			return es.ServerGroups
		}
	}
	return nil
}

// deployments lists gennaker's Deployments in ns: name -> "version enabled=…".
func deployments(t *testing.T, e *k8senv.Env, ns string) map[string]string {
	t.Helper()
	list, err := e.Clientset.AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{LabelSelector: kubernetes.LabelManagedBy + "=gennaker"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range list.Items {
		out[d.Name] = d.Labels[kubernetes.LabelVersion] + " enabled=" + d.Annotations[kubernetes.AnnotationEnabled]
	}
	return out
}

// k8sServer starts a server and applies the shop application (instances
// each), one Kubernetes environment env in a namespace of its own on the
// shared control plane, and pipelines (which deploy to env).
func k8sServer(t *testing.T, env string, instances int, traffic model.TrafficMode, pipelines ...model.Pipeline) (*k8senv.Env, string, *client.Client) {
	t.Helper()
	kc := k8senv.Shared(t)
	ns := kc.Namespace(t)
	c := startServer(t)
	cfg := model.Config{
		Applications: []model.Application{k8sApplication(instances)},
		Environments: []model.Environment{k8sEnvironment(t, env, kc, ns, traffic)},
		Pipelines:    pipelines,
	}
	if _, err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return kc, ns, c
}

func TestKubernetesHighlanderRedBlackRollback(t *testing.T) {
	t.Parallel()
	kc, ns, c := k8sServer(t, "k8s", 2, model.TrafficReplicas,
		deployPipeline("hl", "k8s", model.Strategy{Type: model.StrategyHighlander}),
		deployPipeline("rb", "k8s", model.Strategy{Type: model.StrategyRedBlack, MaxRemaining: 1}))
	ctx := context.Background()
	start := time.Now()
	e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: "1.0.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)
	e, err = c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: "1.1.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)
	t.Logf("two highlander deploys in %s", time.Since(start).Round(time.Millisecond))
	if got, want := deployments(t, kc, ns), map[string]string{"shop-v002": "1.1.0 enabled=true"}; !maps.Equal(got, want) {
		t.Fatalf("after highlander: Deployments %v, want %v", got, want)
	}

	for _, v := range []string{"2.0.0", "3.0.0"} {
		e, err = c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: v, Pipeline: "rb"})
		mustSucceed(t, c, e, err)
	}
	want := map[string]string{"shop-v003": "2.0.0 enabled=false", "shop-v004": "3.0.0 enabled=true"}
	if got := deployments(t, kc, ns); !maps.Equal(got, want) {
		t.Fatalf("after red/black: Deployments %v, want %v (the previous group kept, disabled)", got, want)
	}

	start = time.Now()
	e, err = c.Rollback(ctx, deploy.RollbackRequest{Application: k8sApp, Environment: "k8s"})
	mustSucceed(t, c, e, err)
	t.Logf("rollback to the running group in %s", time.Since(start).Round(time.Millisecond))
	got := deployments(t, kc, ns)
	if got["shop-v003"] != "2.0.0 enabled=true" || strings.HasSuffix(got["shop-v004"], "enabled=true") {
		t.Fatalf("after rollback: Deployments %v, want shop-v003 enabled and shop-v004 out of traffic", got)
	}
	pods, err := kc.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelEnabled + "=true"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Labels[kubernetes.LabelServerGroup] != "shop-v003" {
			t.Errorf("pod %s of %s takes traffic after the rollback", p.Name, p.Labels[kubernetes.LabelServerGroup])
		}
	}
	if len(pods.Items) != 2 {
		t.Errorf("%d pods take traffic, want shop-v003's 2", len(pods.Items))
	}
}

func TestKubernetesCanaryGatewayWeights(t *testing.T) {
	t.Parallel()
	pause := func() model.CanaryStep {
		return model.CanaryStep{Pause: &model.PauseStep{Duration: model.Duration(1500 * time.Millisecond)}}
	}
	weight := func(w int) model.CanaryStep { return model.CanaryStep{SetWeight: &w} }
	kc, ns, c := k8sServer(t, "k8s-gw", 2, model.TrafficGateway,
		deployPipeline("hl", "k8s-gw", model.Strategy{Type: model.StrategyHighlander}),
		deployPipeline("canary", "k8s-gw", model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{
			Steps: []model.CanaryStep{weight(20), pause(), weight(50), pause()},
		}}))
	ctx := context.Background()
	e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s-gw", Version: "1.0.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)

	// Watch the HTTPRoute while the canary runs; record each distinct split.
	gw, err := gateway.NewForConfig(kc.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for watchCtx.Err() == nil {
			hr, err := gw.GatewayV1().HTTPRoutes(ns).Get(watchCtx, k8sApp, metav1.GetOptions{})
			if err == nil {
				s := splitString(kubernetes.RouteWeights(hr), kubernetes.CanaryBackend(hr))
				mu.Lock()
				if len(seen) == 0 || seen[len(seen)-1] != s {
					seen = append(seen, s)
				}
				mu.Unlock()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	e, err = c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s-gw", Version: "2.0.0", Pipeline: "canary"})
	mustSucceed(t, c, e, err)
	stopWatch()
	<-watched
	t.Logf("HTTPRoute splits seen: %v", seen)
	for _, want := range []string{
		"shop-v001=100",
		// The engine's plan: baseline shop-v002 (1.0.0) gets the canary's
		// weight; the canary shop-v003 (2.0.0) takes header-routed requests.
		"shop-v001=60 shop-v002=20 shop-v003=20 canary->shop-v003",
		"shop-v002=50 shop-v003=50 canary->shop-v003",
		"shop-v003=100",
	} {
		if !containsSplit(seen, want) {
			t.Errorf("the HTTPRoute never had the split %q; seen %v", want, seen)
		}
	}
	if got := deployments(t, kc, ns); len(got) != 1 || got["shop-v003"] != "2.0.0 enabled=true" {
		t.Errorf("after promotion Deployments = %v, want only the canary group", got)
	}
}

func splitString(w map[string]int32, canary string) string {
	var parts []string
	for _, k := range sortedKeys(w) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, w[k]))
	}
	if canary != "" {
		parts = append(parts, "canary->"+canary)
	}
	return strings.Join(parts, " ")
}

func sortedKeys(m map[string]int32) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func containsSplit(seen []string, s string) bool {
	for _, x := range seen {
		if x == s {
			return true
		}
	}
	return false
}

// TestKubernetesTwoClusters: two environments on two API servers, served
// by one gennaker server (one cached client per environment); each cluster
// gets only its own objects.
func TestKubernetesTwoClusters(t *testing.T) {
	t.Parallel()
	east := k8senv.Shared(t)
	west := k8senv.Start(t)
	nsEast, nsWest := east.Namespace(t), west.Namespace(t)
	c := startServer(t)
	ctx := context.Background()
	cart := k8sApplication(1)
	cart.Name = "cart"
	cfg := model.Config{
		Applications: []model.Application{k8sApplication(1), cart},
		Environments: []model.Environment{
			k8sEnvironment(t, "east", east, nsEast, model.TrafficReplicas),
			k8sEnvironment(t, "west", west, nsWest, model.TrafficReplicas),
		},
	}
	if _, err := c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	for _, d := range []deploy.Request{
		{Application: k8sApp, Environment: "east", Version: "1.0.0"},
		{Application: "cart", Environment: "west", Version: "7.0.0"},
		{Application: k8sApp, Environment: "east", Version: "1.1.0"},
	} {
		e, err := c.Deploy(ctx, d)
		mustSucceed(t, c, e, err)
	}
	if got := deployments(t, east, nsEast); !maps.Equal(got, map[string]string{"shop-v002": "1.1.0 enabled=true"}) {
		t.Errorf("east: Deployments %v", got)
	}
	if got := deployments(t, west, nsWest); !maps.Equal(got, map[string]string{"cart-v001": "7.0.0 enabled=true"}) {
		t.Errorf("west: Deployments %v", got)
	}
	if _, err := west.Clientset.CoreV1().Namespaces().Get(ctx, nsEast, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("east's namespace exists on west: %v", err)
	}
}

// TestKubernetesOnePipelineTwoClusters: one pipeline deploys one
// application to two clusters, east then west. Server-group numbers count
// per environment, as Spinnaker's per cluster: the release is shop-v001 in
// both.
func TestKubernetesOnePipelineTwoClusters(t *testing.T) {
	t.Parallel()
	east := k8senv.Shared(t)
	west := k8senv.Start(t)
	nsEast, nsWest := east.Namespace(t), west.Namespace(t)
	c := startServer(t)
	ctx := context.Background()
	highlander := model.Strategy{Type: model.StrategyHighlander}
	pl := model.Pipeline{Name: "both", Application: k8sApp, Parameters: []model.Parameter{{Name: "version", Required: true}},
		Stages: []model.StageSpec{
			{Name: "east", Deploy: &model.DeployStage{Environment: "east", Strategy: highlander}},
			{Name: "west", Needs: []string{"east"}, Deploy: &model.DeployStage{Environment: "west", Strategy: highlander}},
		}}
	cfg := model.Config{
		Applications: []model.Application{k8sApplication(1)},
		Environments: []model.Environment{
			k8sEnvironment(t, "east", east, nsEast, model.TrafficReplicas),
			k8sEnvironment(t, "west", west, nsWest, model.TrafficReplicas),
		},
		Pipelines: []model.Pipeline{pl},
	}
	if _, err := c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	e, err := c.Run(ctx, "both", client.RunRequest{Params: map[string]string{"version": "2.0.0"}})
	mustSucceed(t, c, e, err)
	gotEast, gotWest := deployments(t, east, nsEast), deployments(t, west, nsWest)
	if len(gotEast) != 1 || len(gotWest) != 1 {
		t.Fatalf("want one Deployment per cluster, got east %v, west %v", gotEast, gotWest)
	}
	for cluster, got := range map[string]map[string]string{"east": gotEast, "west": gotWest} {
		if _, ok := got[k8sApp+"-v001"]; !ok {
			t.Errorf("%s runs %v, want %s-v001: numbers count per environment", cluster, got, k8sApp)
		}
	}
	for _, got := range []map[string]string{gotEast, gotWest} {
		for name, v := range got {
			if v != "2.0.0 enabled=true" {
				t.Errorf("%s: %s, want 2.0.0 serving", name, v)
			}
		}
	}
}

// TestKubernetesAdoptThroughTheAPI: `gennaker adopt` takes over a Deployment
// made without gennaker (no new ReplicaSet), and the next deploy replaces it.
func TestKubernetesAdoptThroughTheAPI(t *testing.T) {
	t.Parallel()
	kc := k8senv.Shared(t)
	ns := kc.Namespace(t)
	c := startServer(t)
	ctx := context.Background()
	two := int32(2)
	sel := map[string]string{"app": "shop"}
	legacy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.example.com/shop:0.9.0"}}}},
		},
	}
	if _, err := kc.Clientset.AppsV1().Deployments(ns).Create(ctx, legacy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := model.Config{
		Applications: []model.Application{k8sApplication(2)},
		Environments: []model.Environment{k8sEnvironment(t, "k8s", kc, ns, model.TrafficReplicas), {Name: "laptop", Target: model.TargetSpec{Kind: model.TargetLocal}}},
		Pipelines:    []model.Pipeline{deployPipeline("hl", "k8s", model.Strategy{Type: model.StrategyHighlander})},
	}
	if _, err := c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Adopt(ctx, deploy.AdoptRequest{Application: k8sApp, Environment: "laptop", Deployment: "shop-web"}); err == nil || !strings.Contains(err.Error(), "only kubernetes environments") {
		t.Errorf("adopt into a local environment: %v", err)
	}
	sg, err := c.Adopt(ctx, deploy.AdoptRequest{Application: k8sApp, Environment: "k8s", Deployment: "shop-web"})
	if err != nil {
		t.Fatal(err)
	}
	if sg.Name != "shop-v001" || sg.Version != "0.9.0" || sg.Weight != 100 {
		t.Errorf("adopted %+v", sg)
	}
	if gs := groups(t, c, "k8s"); len(gs) != 1 || gs[0].Name != "shop-v001" || gs[0].Status != model.ServerGroupUp {
		t.Fatalf("server groups after adopt: %+v", gs)
	}
	if _, err := c.Adopt(ctx, deploy.AdoptRequest{Application: k8sApp, Environment: "k8s", Deployment: "shop-web"}); err == nil || !strings.Contains(err.Error(), "already has server groups") {
		t.Errorf("adopting twice: %v", err)
	}
	rss, err := kc.Clientset.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rss.Items) != 1 {
		t.Errorf("adoption rolled the Deployment: %d ReplicaSets", len(rss.Items))
	}
	pods, err := kc.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelEnabled + "=true"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 2 {
		t.Errorf("%d pods in traffic after adopt, want the legacy 2", len(pods.Items))
	}

	e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: "1.0.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)
	if _, err := kc.Clientset.AppsV1().Deployments(ns).Get(ctx, "shop-web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the adopted Deployment after a highlander deploy: %v", err)
	}
	if got := deployments(t, kc, ns); !maps.Equal(got, map[string]string{"shop-v002": "1.0.0 enabled=true"}) {
		t.Errorf("Deployments %v", got)
	}
}

// TestKubernetesRolling: rolling replaces the old group batch by batch;
// afterwards only the new group runs, with all traffic.
func TestKubernetesRolling(t *testing.T) {
	t.Parallel()
	kc, ns, c := k8sServer(t, "k8s", 3, model.TrafficReplicas,
		deployPipeline("roll", "k8s", model.Strategy{Type: model.StrategyRolling, BatchSize: 1}))
	ctx := context.Background()
	for _, v := range []string{"1.0.0", "2.0.0"} {
		e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: v, Pipeline: "roll"})
		mustSucceed(t, c, e, err)
	}
	if got := deployments(t, kc, ns); !maps.Equal(got, map[string]string{"shop-v002": "2.0.0 enabled=true"}) {
		t.Fatalf("after rolling: Deployments %v", got)
	}
	d, err := kc.Clientset.AppsV1().Deployments(ns).Get(ctx, "shop-v002", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 || d.Status.AvailableReplicas != 3 {
		t.Errorf("shop-v002: %d replicas, %d available, want 3", *d.Spec.Replicas, d.Status.AvailableReplicas)
	}
}

// TestKubernetesServerRestartMidCanary: the server stops while a canary
// pauses; a new server on the same data directory resumes the execution,
// which finishes with the canary promoted and nothing applied twice.
func TestKubernetesServerRestartMidCanary(t *testing.T) {
	t.Parallel()
	kc := k8senv.Shared(t)
	ns := kc.Namespace(t)
	dataDir := t.TempDir()
	ctx := context.Background()

	run := func() (*client.Client, func()) {
		sctx, cancel := context.WithCancel(ctx)
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- server.Run(sctx, server.Options{DataDir: dataDir, Addr: "127.0.0.1:0", CLIConfig: dataDir + ".cli.yaml",
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: func(u string) { ready <- u }})
		}()
		select {
		case u := <-ready:
			f, err := cliconfig.Load(dataDir + ".cli.yaml")
			if err != nil {
				t.Fatal(err)
			}
			c, ok := f.ForServer(u)
			if !ok {
				t.Fatalf("the server at %s wrote no CLI credential", u)
			}
			return client.New(u, c.Token), func() { cancel(); <-done }
		case err := <-done:
			t.Fatalf("server: %v", err)
		}
		return nil, nil
	}
	c, stop := run()
	weight := func(w int) model.CanaryStep { return model.CanaryStep{SetWeight: &w} }
	pause := model.CanaryStep{Pause: &model.PauseStep{Duration: model.Duration(3 * time.Second)}}
	cfg := model.Config{
		Applications: []model.Application{k8sApplication(1)},
		Environments: []model.Environment{k8sEnvironment(t, "k8s-gw", kc, ns, model.TrafficGateway)},
		Pipelines: []model.Pipeline{
			deployPipeline("hl", "k8s-gw", model.Strategy{Type: model.StrategyHighlander}),
			deployPipeline("canary", "k8s-gw", model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{Steps: []model.CanaryStep{weight(30), pause}}}),
		},
	}
	if _, err := c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s-gw", Version: "1.0.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)
	e, err = c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s-gw", Version: "2.0.0", Pipeline: "canary"})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the 30% step is on the HTTPRoute, then stop the server.
	gw, err := gateway.NewForConfig(kc.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		hr, err := gw.GatewayV1().HTTPRoutes(ns).Get(ctx, k8sApp, metav1.GetOptions{})
		if err == nil && kubernetes.RouteWeights(hr)["shop-v003"] == 30 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the canary never reached 30%")
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	t.Log("server stopped during the canary's pause")

	c, stop = run()
	defer stop()
	mustSucceed(t, c, e, nil)
	if got := deployments(t, kc, ns); !maps.Equal(got, map[string]string{"shop-v003": "2.0.0 enabled=true"}) {
		t.Errorf("after the resumed canary: Deployments %v", got)
	}
	hr, err := gw.GatewayV1().HTTPRoutes(ns).Get(ctx, k8sApp, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := kubernetes.RouteWeights(hr); !maps.Equal(got, map[string]int32{"shop-v003": 100}) {
		t.Errorf("HTTPRoute weights %v", got)
	}
	d, _ := kc.Clientset.AppsV1().Deployments(ns).Get(ctx, "shop-v003", metav1.GetOptions{})
	rss, _ := kc.Clientset.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelServerGroup + "=shop-v003"})
	if len(rss.Items) != 1 {
		t.Errorf("shop-v003 was rolled (%d ReplicaSets, generation %d)", len(rss.Items), d.Generation)
	}
}
