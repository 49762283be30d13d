package kubernetes

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestTransient(t *testing.T) {
	t.Parallel()
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{apierrors.NewInternalError(errors.New("etcd leader changed")), true},
		{apierrors.NewServiceUnavailable("apiserver is shutting down"), true},
		{apierrors.NewTimeoutError("request timed out", 1), true},
		{apierrors.NewServerTimeout(gr, "patch", 1), true},
		{apierrors.NewTooManyRequests("slow down", 1), true},
		{apierrors.NewConflict(gr, "checkout-v001", errors.New("the object has been modified")), true},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("wrapped: %w", syscall.ECONNRESET), true},
		{apierrors.NewForbidden(gr, "checkout-v001", errors.New(`User "gennaker" cannot patch`)), false},
		{apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "checkout-v001", nil), false},
		{apierrors.NewNotFound(gr, "checkout-v001"), false},
		{context.Canceled, false},
		{&url.Error{Op: "Get", URL: "https://10.0.0.1:6443", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, true},
		{&url.Error{Op: "Get", URL: "https://10.0.0.1:6443", Err: x509.UnknownAuthorityError{}}, false},
		// A resource the server does not serve (no Gateway API CRDs): client-go
		// marks the 404 an unexpected response, which is no reason to retry.
		{&apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: 404, Reason: metav1.StatusReasonNotFound,
			Message: "the server could not find the requested resource (patch httproutes.gateway.networking.k8s.io checkout)",
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: metav1.CauseTypeUnexpectedServerResponse, Message: "404 page not found"}}}}}, false},
		{apierrors.NewGenericServerResponse(502, "get", gr, "checkout-v001", "bad gateway", 0, true), true},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestEnsureRetriesTransientErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	calls := 0
	f.kube.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		switch calls {
		case 1:
			return true, nil, apierrors.NewServiceUnavailable("apiserver restarting")
		case 2:
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "checkout-v001", errors.New("modified"))
		}
		return false, nil, nil
	})
	if err := f.p.Ensure(context.Background(), testGroup(1, "1", 1), testApp()); err != nil {
		t.Fatalf("Ensure after two transient errors: %v", err)
	}
	if calls != 3 {
		t.Errorf("%d calls, want 3", calls)
	}
}

func TestPermanentErrorKeepsTheServersMessage(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	calls := 0
	msg := `deployments.apps "checkout-v001" is forbidden: User "system:serviceaccount:ci:gennaker" cannot patch resource "deployments"`
	f.kube.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		e := apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "checkout-v001", errors.New(`User "system:serviceaccount:ci:gennaker" cannot patch resource "deployments"`))
		return true, nil, e
	})
	err := f.p.Ensure(context.Background(), testGroup(1, "1", 1), testApp())
	if err == nil || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "apply Deployment shop/checkout-v001") {
		t.Fatalf("err = %v", err)
	}
	if calls != 1 {
		t.Errorf("a permanent error was tried %d times", calls)
	}
}

func TestRetryGivesUpAfterItsBudget(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	f.kube.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewInternalError(errors.New("etcdserver: request timed out"))
	})
	err := f.p.Ensure(context.Background(), testGroup(1, "1", 1), testApp())
	if err == nil || !strings.Contains(err.Error(), "etcdserver: request timed out") || !strings.Contains(err.Error(), "attempts") {
		t.Fatalf("err = %v", err)
	}
}
