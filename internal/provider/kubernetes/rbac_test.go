package kubernetes_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kube "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	gateway "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// TestRBACManifestIsEnough runs a deploy, a gateway split, a resize and a
// destroy as the ServiceAccount of docs/kubernetes-rbac.yaml, so the
// documented Role stays sufficient (the API server authorizes with RBAC).
func TestRBACManifestIsEnough(t *testing.T) {
	b := setup(t, model.TrafficGateway)
	id := b.env.ServiceAccount(t, b.ns) // docs/kubernetes-rbac.yaml, applied as a user would
	rc := rest.CopyConfig(id.RESTConfig)
	kc, err := kube.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	p := kubernetes.NewForClients(kubernetes.Config{
		Environment: "rbac", Namespace: b.ns, Traffic: model.TrafficGateway, Gateway: &model.GatewayRef{Name: "public"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), PollInterval: 100 * time.Millisecond,
		Backoff: kubernetes.Backoff{Budget: 5 * time.Second},
	}, kc, gw)
	// Cluster-wide reads are not granted: the Role is namespaced.
	if _, err := kc.CoreV1().Pods("kube-system").List(b.ctx, metav1.ListOptions{}); err == nil {
		t.Fatal("the token can list pods in kube-system: the test is not running as the ServiceAccount")
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"ensure v1", func() error { return p.Ensure(b.ctx, group(1, "1.0.0", 1), app()) }},
		{"wait v1", func() error { return p.WaitHealthy(b.ctx, "checkout-v001") }},
		{"route v1", func() error {
			return p.Route(b.ctx, app(), []kubernetes.Route{{ServerGroup: "checkout-v001", Weight: 100}})
		}},
		{"ensure v2", func() error { return p.Ensure(b.ctx, group(2, "2.0.0", 1), app()) }},
		{"wait v2", func() error { return p.WaitHealthy(b.ctx, "checkout-v002") }},
		{"canary split", func() error {
			return p.Route(b.ctx, app(), []kubernetes.Route{{ServerGroup: "checkout-v001", Weight: 90}, {ServerGroup: "checkout-v002", Weight: 10, Canary: true}})
		}},
		{"resize", func() error { return p.Resize(b.ctx, "checkout-v002", 2) }},
		{"sync", func() error { return p.SyncTraffic(b.ctx) }},
		{"promote", func() error {
			return p.Route(b.ctx, app(), []kubernetes.Route{{ServerGroup: "checkout-v001", Weight: 0}, {ServerGroup: "checkout-v002", Weight: 100}})
		}},
		{"destroy v1", func() error { return p.Destroy(b.ctx, "checkout-v001") }},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			t.Fatalf("%s as the gennaker ServiceAccount: %v", s.name, err)
		}
	}
}
