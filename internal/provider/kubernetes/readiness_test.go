package kubernetes

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestRetryRefusal(t *testing.T) {
	t.Parallel()
	const grace, refusedWait = 5 * time.Second, 15 * time.Second
	never := time.Duration(-1)
	for _, tc := range []struct {
		name string
		r    Refusal
		want bool
	}{
		{"403 from a ready server gennaker never saw down: the Role is missing", Refusal{Status: 403, Probe: ReadinessReady, SinceUnready: never}, false},
		{"401 from a ready server: the token is wrong", Refusal{Status: 401, Probe: ReadinessReady, SinceUnready: never}, false},
		{"403 while /readyz fails: RBAC not synced yet", Refusal{Status: 403, Probe: ReadinessNotReady, SinceUnready: 0}, true},
		{"401 while /readyz fails: authenticators not ready", Refusal{Status: 401, Probe: ReadinessNotReady, SinceUnready: 0}, true},
		{"403 just after /readyz passed (within the grace)", Refusal{Status: 403, Probe: ReadinessReady, SinceUnready: 2 * time.Second}, true},
		{"403 well after the server became ready", Refusal{Status: 403, Probe: ReadinessReady, SinceUnready: time.Minute}, false},
		{"403 on /readyz too, first seconds: RBAC not synced refuses it as well", Refusal{Status: 403, Probe: ReadinessRefused, SinceUnready: never, Waited: time.Second}, true},
		{"403 on /readyz too, for long: public-info-viewer removed, the 403 is real", Refusal{Status: 403, Probe: ReadinessRefused, SinceUnready: never, Waited: 20 * time.Second}, false},
		{"401 on /readyz too: the credentials are refused everywhere", Refusal{Status: 401, Probe: ReadinessRefused, SinceUnready: never}, false},
		{"401 on /readyz just after a restart", Refusal{Status: 401, Probe: ReadinessRefused, SinceUnready: time.Second}, true},
	} {
		if got := RetryRefusal(tc.r, grace, refusedWait); got != tc.want {
			t.Errorf("%s: RetryRefusal(%+v) = %v, want %v", tc.name, tc.r, got, tc.want)
		}
	}
}

func TestReadinessOf(t *testing.T) {
	t.Parallel()
	gr := schema.GroupResource{}
	for _, tc := range []struct {
		err  error
		want Readiness
	}{
		{nil, ReadinessReady},
		{apierrors.NewInternalError(errors.New("[-]poststarthook/rbac/bootstrap-roles failed: not finished")), ReadinessNotReady},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, ReadinessNotReady},
		{context.DeadlineExceeded, ReadinessNotReady},
		{apierrors.NewForbidden(gr, "", errors.New(`User "system:serviceaccount:shop:gennaker" cannot get path "/readyz"`)), ReadinessRefused},
		{apierrors.NewUnauthorized("Unauthorized"), ReadinessRefused},
	} {
		if got := readinessOf(tc.err); got != tc.want {
			t.Errorf("readinessOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// forbidden is the API server's 403 for patching a Deployment.
func forbidden() error {
	return apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "checkout-v001",
		errors.New(`User "system:serviceaccount:shop:gennaker" cannot patch resource "deployments"`))
}

func TestForbiddenIsRetriedWhileTheAPIServerIsNotReady(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	readyAfter := 3
	probes := 0
	f.p.probe = func(context.Context) Readiness {
		probes++
		if probes < readyAfter {
			return ReadinessNotReady
		}
		return ReadinessReady
	}
	calls := 0
	f.kube.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		if calls <= readyAfter {
			return true, nil, forbidden()
		}
		return false, nil, nil
	})
	if err := f.p.Ensure(context.Background(), testGroup(1, "1", 1), testApp()); err != nil {
		t.Fatalf("Ensure across a restart's 403s: %v", err)
	}
	if calls != readyAfter+1 {
		t.Errorf("%d calls, want %d", calls, readyAfter+1)
	}
}

func TestForbiddenFromAReadyServerSaysWhatToDo(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	f.p.probe = func(context.Context) Readiness { return ReadinessReady }
	calls := 0
	f.kube.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		return true, nil, forbidden()
	})
	start := time.Now()
	err := f.p.Ensure(context.Background(), testGroup(1, "1", 1), testApp())
	var ae *AccessError
	if !errors.As(err, &ae) || !apierrors.IsForbidden(err) {
		t.Fatalf("err = %v, want an AccessError wrapping the 403", err)
	}
	for _, want := range []string{`cannot patch resource "deployments"`, "docs/kubernetes-rbac.yaml", "kubectl -n shop apply"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if calls != 1 || time.Since(start) > time.Second {
		t.Errorf("a 403 from a ready server was tried %d times in %s", calls, time.Since(start))
	}
}

func TestForbiddenJustAfterARestartIsRetriedForTheGrace(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	f.p.probe = func(context.Context) Readiness { return ReadinessReady }
	f.p.backoff.RefusalGrace = 200 * time.Millisecond
	f.p.backoff.Budget = 5 * time.Second
	calls := 0
	f.kube.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		if calls == 1 {
			return true, nil, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED} // restarting
		}
		return true, nil, forbidden() // for good
	})
	start := time.Now()
	err := f.p.Ensure(context.Background(), testGroup(1, "1", 1), testApp())
	var ae *AccessError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an AccessError once the grace has passed", err)
	}
	if took := time.Since(start); took < 200*time.Millisecond || took > 2*time.Second || calls < 3 {
		t.Errorf("failed after %d calls in %s: want retries for the 200ms grace, then failure", calls, took)
	}
}

func TestUnauthorizedNamesTheKubeconfig(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	f.p.kubeconfig = "/etc/gennaker/prod.kubeconfig"
	f.p.probe = func(context.Context) Readiness { return ReadinessRefused }
	f.kube.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewUnauthorized("Unauthorized")
	})
	_, _, err := f.p.Health(context.Background(), "checkout-v001")
	if err == nil || !apierrors.IsUnauthorized(err) {
		t.Fatalf("err = %v", err)
	}
	want := "Unauthorized: the credentials in /etc/gennaker/prod.kubeconfig were refused: fix them (a new token, say); gennaker re-reads the file"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v\nwant it to say %q", err, want)
	}
}
