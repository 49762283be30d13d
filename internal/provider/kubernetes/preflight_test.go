package kubernetes

import (
	"context"
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/gennaker/gennaker/internal/model"
)

// discoveries counts the provider's discovery calls.
func discoveries(kube *kubefake.Clientset) int {
	n := 0
	for _, a := range kube.Actions() {
		if a.GetResource().Resource == "resource" {
			n++
		}
	}
	return n
}

func TestGatewayModeWithoutTheCRDsCreatesNothing(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficGateway)
	f.kube.Resources = nil // no Gateway API
	ctx := context.Background()
	err := f.p.Ensure(ctx, testGroup(1, "1", 1), testApp())
	var missing *GatewayAPIMissingError
	if !errors.As(err, &missing) || !errors.Is(err, ErrGatewayAPIMissing) {
		t.Fatalf("Ensure: err = %v, want a GatewayAPIMissingError", err)
	}
	for _, want := range []string{"environment test", GatewayAPIGroupVersion, GatewayAPIInstallURL, "traffic: replicas"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if err := f.p.Route(ctx, testApp(), []Route{{ServerGroup: "checkout-v001", Weight: 100}}); !errors.Is(err, ErrGatewayAPIMissing) {
		t.Errorf("Route (a rollback's): err = %v", err)
	}
	for _, a := range f.kube.Actions() {
		if v := a.GetVerb(); v == "patch" || v == "create" {
			t.Errorf("%s %s although the Gateway API is missing", v, a.GetResource().Resource)
		}
	}

	// The CRDs get installed: no restart needed, and once seen they are
	// not asked for again.
	servesGatewayAPI(f.kube)
	if err := f.p.Ensure(ctx, testGroup(1, "1", 1), testApp()); err != nil {
		t.Fatal(err)
	}
	before := discoveries(f.kube)
	if err := f.p.Ensure(ctx, testGroup(2, "1", 1), testApp()); err != nil {
		t.Fatal(err)
	}
	if after := discoveries(f.kube); after != before {
		t.Errorf("%d discovery calls after the Gateway API was found", after-before)
	}
}

func TestReplicasModeNeedsNoGatewayAPI(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	f.kube.Resources = nil
	if err := f.p.Preflight(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := discoveries(f.kube); n != 0 {
		t.Errorf("%d discovery calls in replicas mode", n)
	}
}

func TestServesHTTPRoutes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		list *metav1.APIResourceList
		want bool
	}{
		{nil, false},
		{&metav1.APIResourceList{GroupVersion: GatewayAPIGroupVersion}, false},
		{&metav1.APIResourceList{GroupVersion: GatewayAPIGroupVersion, APIResources: []metav1.APIResource{{Name: "gateways"}, {Name: "gatewayclasses"}}}, false},
		{&metav1.APIResourceList{GroupVersion: GatewayAPIGroupVersion, APIResources: []metav1.APIResource{{Name: "httproutes/status"}, {Name: "httproutes"}}}, true},
	} {
		if got := ServesHTTPRoutes(tc.list); got != tc.want {
			t.Errorf("ServesHTTPRoutes(%v) = %v, want %v", tc.list, got, tc.want)
		}
	}
}
