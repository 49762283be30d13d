package server_test

// End to end: what users meet when a cluster refuses gennaker or lacks what
// an environment needs. The server reaches the clusters as the ServiceAccount
// of docs/kubernetes-rbac.yaml (k8senv's admin certificate bypasses RBAC).

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/test/k8senv"
)

// mustFail waits for an execution to fail within limit and returns it.
func mustFail(t *testing.T, c *client.Client, e *model.Execution, err error, limit time.Duration) *model.Execution {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for time.Since(start) < limit {
		got, err := c.Execution(context.Background(), e.ID)
		if err == nil && got.Status.Terminal() {
			if got.Status != model.ExecutionFailed {
				t.Fatalf("execution %s: %s, want failed", e.ID, got.Status)
			}
			t.Logf("execution %s (%s) failed in %s: %s", e.ID, e.Pipeline, time.Since(start).Round(time.Millisecond), got.Reason)
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("execution %s did not fail within %s", e.ID, limit)
	return nil
}

// envStatus is the application's status in one environment.
func envStatus(t *testing.T, c *client.Client, env string) deploy.EnvironmentStatus {
	t.Helper()
	st, err := c.Status(context.Background(), k8sApp)
	if err != nil {
		t.Fatal(err)
	}
	for _, es := range st.Environments {
		if es.Environment == env {
			return es
		}
	}
	t.Fatalf("status has no environment %s: %+v", env, st)
	return deploy.EnvironmentStatus{}
}

// TestKubernetesKubeconfigFixedWithoutRestart: a wrong token in an
// environment's kubeconfig shows in status and fails deploys with what to
// fix; once the file is fixed the same server uses it.
func TestKubernetesKubeconfigFixedWithoutRestart(t *testing.T) {
	t.Parallel()
	kc := k8senv.Shared(t)
	ns := kc.Namespace(t)
	id := kc.ServiceAccount(t, ns)
	path := filepath.Join(t.TempDir(), "prod.kubeconfig")
	if err := kc.WriteTokenKubeconfig(path, ns, id.Token); err != nil {
		t.Fatal(err)
	}
	c := startServer(t)
	ctx := context.Background()
	cfg := model.Config{
		Applications: []model.Application{k8sApplication(1)},
		Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetKubernetes, Kubeconfig: path, Traffic: model.TrafficReplicas}}},
		Pipelines:    []model.Pipeline{deployPipeline("hl", "prod", model.Strategy{Type: model.StrategyHighlander})},
	}
	if _, err := c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "prod", Version: "1.0.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)
	if es := envStatus(t, c, "prod"); es.Error != "" || len(es.ServerGroups) != 1 || es.ServerGroups[0].Healthy != 1 {
		t.Fatalf("status with the right token: %+v", es)
	}

	// The token is replaced by a wrong one (rotated badly, say).
	if err := kc.WriteTokenKubeconfig(path, ns, "not-a-valid-token"); err != nil {
		t.Fatal(err)
	}
	es := envStatus(t, c, "prod")
	for _, want := range []string{"environment prod:", "Unauthorized", path, "gennaker re-reads the file"} {
		if !strings.Contains(es.Error, want) {
			t.Errorf("status error %q does not say %q", es.Error, want)
		}
	}
	if len(es.ServerGroups) != 1 || es.ServerGroups[0].Error == "" || es.ServerGroups[0].Total != 1 {
		t.Errorf("server groups with a refused token: %+v", es.ServerGroups)
	}
	e, err = c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "prod", Version: "2.0.0", Pipeline: "hl"})
	failed := mustFail(t, c, e, err, time.Minute)
	if !strings.Contains(failed.Reason, "Unauthorized") || !strings.Contains(failed.Reason, path) {
		t.Errorf("the failed deploy's reason does not say what to fix: %s", failed.Reason)
	}

	// Fixed in the file: no restart.
	if err := kc.WriteTokenKubeconfig(path, ns, id.Token); err != nil {
		t.Fatal(err)
	}
	// (The failed deploy's shop-v002 is still recorded; shop-v001 serves.)
	if es := envStatus(t, c, "prod"); es.Error != "" || es.ServerGroups[0].Name != "shop-v001" || es.ServerGroups[0].Healthy != 1 {
		t.Errorf("status after the token was fixed: %+v", es)
	}
	e, err = c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "prod", Version: "2.0.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)
}

// TestKubernetesGatewayAPIRemoved: the Gateway API CRDs go away from a
// gateway environment's cluster. The server's target check reports it, and
// a rollback and a deploy fail in seconds with what to install (before,
// the CRD's 404 was retried for minutes), creating nothing.
func TestKubernetesGatewayAPIRemoved(t *testing.T) {
	t.Parallel()
	kc := k8senv.Start(t) // its own control plane: the CRDs are deleted
	ns := kc.Namespace(t)
	id := kc.ServiceAccount(t, ns)
	c := startServer(t)
	ctx := context.Background()
	env := model.Environment{Name: "edge", Target: model.TargetSpec{Kind: model.TargetKubernetes, Kubeconfig: id.Kubeconfig,
		Traffic: model.TrafficGateway, Gateway: &model.GatewayRef{Name: "public"}}}
	cfg := model.Config{
		Applications: []model.Application{k8sApplication(1)},
		Environments: []model.Environment{env},
		Pipelines:    []model.Pipeline{deployPipeline("rb", "edge", model.Strategy{Type: model.StrategyRedBlack, MaxRemaining: 1})},
	}
	if _, err := c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	checks, err := c.CheckTargets(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks.Checks) != 1 || checks.Checks[0].Problem != "" || checks.Checks[0].Error != "" {
		t.Fatalf("target check with the Gateway API installed: %+v", checks)
	}
	for _, v := range []string{"1.0.0", "2.0.0"} {
		e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "edge", Version: v, Pipeline: "rb"})
		mustSucceed(t, c, e, err)
	}

	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	if err := kc.Dynamic.Resource(crds).Delete(ctx, "httproutes.gateway.networking.k8s.io", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := id.Clientset.Discovery().ServerResourcesForGroupVersion(kubernetes.GatewayAPIGroupVersion)
		if apierrors.IsNotFound(err) || (err == nil && !kubernetes.ServesHTTPRoutes(list)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API server still serves HTTPRoutes after the CRD was deleted: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	checks, err = c.CheckTargets(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks.Checks) != 1 || !strings.Contains(checks.Checks[0].Problem, kubernetes.GatewayAPIInstallURL) {
		t.Errorf("target check without the Gateway API: %+v", checks)
	}

	e, err := c.Rollback(ctx, deploy.RollbackRequest{Application: k8sApp, Environment: "edge"})
	failed := mustFail(t, c, e, err, 30*time.Second)
	if !strings.Contains(failed.Reason, kubernetes.GatewayAPIInstallURL) {
		t.Errorf("the rollback's reason does not say what to install: %s", failed.Reason)
	}
	before := deployments(t, kc, ns)
	e, err = c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "edge", Version: "3.0.0", Pipeline: "rb"})
	failed = mustFail(t, c, e, err, 30*time.Second)
	if !strings.Contains(failed.Reason, kubernetes.GatewayAPIInstallURL) {
		t.Errorf("the deploy's reason does not say what to install: %s", failed.Reason)
	}
	if after := deployments(t, kc, ns); len(after) != len(before) {
		t.Errorf("the failed deploy left Deployments: before %v, after %v", before, after)
	}
}
