package kubernetes_test

// Integration tests of what the API server refuses, run as the
// ServiceAccount of docs/kubernetes-rbac.yaml (the admin certificate is in
// system:masters, which RBAC never refuses).

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/test/k8senv"
)

// refusalLog counts the refusals the provider decided to retry (its debug
// log "the API server refused a call" with retry=true).
type refusalLog struct {
	retried atomic.Int64
}

func (h *refusalLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *refusalLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *refusalLog) WithGroup(string) slog.Handler            { return h }
func (h *refusalLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "the API server refused a call" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "retry" && a.Value.Bool() {
			h.retried.Add(1)
		}
		return true
	})
	return nil
}

// asServiceAccount is a provider of ns that reaches the API server with the
// documented ServiceAccount's kubeconfig file.
func asServiceAccount(t *testing.T, env *k8senv.Env, ns string, traffic model.TrafficMode, log slog.Handler, b kubernetes.Backoff) *kubernetes.Provider {
	t.Helper()
	id := env.ServiceAccount(t, ns)
	if log == nil {
		log = slog.NewTextHandler(io.Discard, nil)
	}
	var gw *model.GatewayRef
	if traffic == model.TrafficGateway {
		gw = &model.GatewayRef{Name: "public"}
	}
	p, err := kubernetes.New(kubernetes.Config{
		Environment: "it", Kubeconfig: id.Kubeconfig, Traffic: traffic, Gateway: gw,
		Logger: slog.New(log), PollInterval: 100 * time.Millisecond, Backoff: b,
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Namespace() != ns {
		t.Fatalf("the ServiceAccount's kubeconfig names namespace %q, want %q", p.Namespace(), ns)
	}
	return p
}

// TestForbiddenWhileTheAPIServerStartsIsRetried restarts the API server
// without waiting for it and drives provider calls at once as the
// ServiceAccount: for a moment before /readyz passes RBAC is not synced and
// the server answers 403, which must not fail a deploy. Restarts until the
// provider has met (and retried) such a 403.
func TestForbiddenWhileTheAPIServerStartsIsRetried(t *testing.T) {
	t.Parallel()
	env := k8senv.Start(t) // its own control plane: the shared one must stay up
	ns := env.Namespace(t)
	refusals := &refusalLog{}
	p := asServiceAccount(t, env, ns, model.TrafficReplicas, refusals,
		kubernetes.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Budget: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := p.Ensure(ctx, group(1, "1.0.0", 1), app()); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitHealthy(ctx, "checkout-v001"); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"ensure": func() error { return p.Ensure(ctx, group(2, "2.0.0", 1), app()) },
		"health": func() error { _, _, err := p.Health(ctx, "checkout-v001"); return err },
		"route": func() error {
			return p.Route(ctx, app(), []kubernetes.Route{{ServerGroup: "checkout-v001", Weight: 100}})
		},
		"resize": func() error { return p.Resize(ctx, "checkout-v001", 1) },
	}
	const rounds = 8
	for round := 1; round <= rounds && refusals.retried.Load() == 0 && !t.Failed(); round++ {
		env.StopAPIServer()
		if err := env.StartAPIServerNoWait(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		var wg sync.WaitGroup
		for name, op := range ops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if err := op(); err != nil {
						t.Errorf("round %d: %s while the API server starts, as the ServiceAccount: %v", round, name, err)
						return
					}
					select {
					case <-ready:
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}()
		}
		err := env.WaitAPIServer(ctx)
		close(ready)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d refusals retried so far", round, refusals.retried.Load())
	}
	if !t.Failed() && refusals.retried.Load() == 0 {
		t.Fatalf("in %d restarts the provider never met a 403 from a starting API server: the test proved nothing", rounds)
	}
}

// TestForbiddenFromAReadyServerFailsAtOnce: a permission the Role does not
// give fails at once, with the API server's words and what to do.
func TestForbiddenFromAReadyServerFailsAtOnce(t *testing.T) {
	t.Parallel()
	env := k8senv.Shared(t)
	ns, other := env.Namespace(t), env.Namespace(t)
	id := env.ServiceAccount(t, ns)
	// The same identity, pointed at a namespace its Role does not cover.
	p, err := kubernetes.New(kubernetes.Config{Environment: "it", Kubeconfig: id.Kubeconfig, Namespace: other,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.Ensure(context.Background(), group(1, "1.0.0", 1), app())
	took := time.Since(start)
	var ae *kubernetes.AccessError
	if !errors.As(err, &ae) || !apierrors.IsForbidden(err) {
		t.Fatalf("Ensure in a namespace the Role does not cover: %v", err)
	}
	for _, want := range []string{"is forbidden", "system:serviceaccount:" + ns + ":gennaker", "docs/kubernetes-rbac.yaml", "kubectl -n " + other, id.Kubeconfig} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if took > 2*time.Second {
		t.Errorf("a 403 from a ready server took %s to fail", took)
	}
	if _, err := env.Clientset.AppsV1().Deployments(other).Get(context.Background(), "checkout-v001", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Deployment in %s: %v", other, err)
	}
}

// TestMissingGatewayAPIFailsAtOnce: in gateway mode on a cluster without
// the Gateway API CRDs, a deploy's first call and a rollback's route fail in
// seconds (not after minutes of retries), say what to install, and leave
// no Deployment or Service behind.
func TestMissingGatewayAPIFailsAtOnce(t *testing.T) {
	t.Parallel()
	env := k8senv.StartWith(t, k8senv.Options{NoGatewayAPI: true})
	ns := env.Namespace(t)
	p := asServiceAccount(t, env, ns, model.TrafficGateway, nil, kubernetes.Backoff{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for name, op := range map[string]func() error{
		"ensure": func() error { return p.Ensure(ctx, group(1, "1.0.0", 1), app()) },
		"route": func() error {
			return p.Route(ctx, app(), []kubernetes.Route{{ServerGroup: "checkout-v001", Weight: 100}})
		},
	} {
		start := time.Now()
		err := op()
		took := time.Since(start)
		if !errors.Is(err, kubernetes.ErrGatewayAPIMissing) {
			t.Fatalf("%s without the Gateway API: %v", name, err)
		}
		for _, want := range []string{kubernetes.GatewayAPIInstallURL, "gateway.networking.k8s.io/v1", env.APIServerURL} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error does not say %q: %v", name, want, err)
			}
		}
		if took > 5*time.Second {
			t.Errorf("%s took %s to fail", name, took)
		}
		t.Logf("%s failed in %s: %v", name, took.Round(time.Millisecond), err)
	}
	deps, err := env.Clientset.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svcs, err := env.Clientset.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps.Items)+len(svcs.Items) != 0 {
		t.Errorf("left behind: %d Deployments, %d Services", len(deps.Items), len(svcs.Items))
	}
}
