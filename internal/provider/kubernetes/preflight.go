package kubernetes

import (
	"context"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/model"
)

const (
	// GatewayAPIGroupVersion is the API gateway mode writes HTTPRoutes to.
	GatewayAPIGroupVersion = "gateway.networking.k8s.io/v1"
	// GatewayAPIInstallURL installs the Gateway API CRDs (standard channel)
	// gennaker is tested with.
	GatewayAPIInstallURL = "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.3/standard-install.yaml"
)

// Preflight checks that the cluster serves what the environment's traffic
// mode needs, before anything is created: in gateway mode, HTTPRoutes in
// gateway.networking.k8s.io/v1 (asked through discovery, which every
// authenticated user may read). Once found it is not asked again; while
// missing it is asked on every call, so installing the CRDs needs no
// restart. It fails with a GatewayAPIMissingError that says what to install.
func (p *Provider) Preflight(ctx context.Context) error {
	if p.traffic != model.TrafficGateway || p.gatewayOK.Load() {
		return nil
	}
	if err := p.needParents(); err != nil {
		return err
	}
	var list *metav1.APIResourceList
	err := p.retry(ctx, "kubernetes: discover "+GatewayAPIGroupVersion, func(ctx context.Context) error {
		var err error
		list, err = p.kube.Discovery().ServerResourcesForGroupVersionWithContext(ctx, GatewayAPIGroupVersion)
		return err
	})
	switch {
	case isNotFound(err):
		return &GatewayAPIMissingError{Environment: p.env, Server: p.host(), Err: err}
	case err != nil:
		return fmt.Errorf("environment %s: checking that the cluster serves the Gateway API: %w", p.env, err)
	case !ServesHTTPRoutes(list):
		return &GatewayAPIMissingError{Environment: p.env, Server: p.host(), Err: fmt.Errorf("%s has no httproutes", GatewayAPIGroupVersion)}
	}
	p.gatewayOK.Store(true)
	return nil
}

// ServesHTTPRoutes reports whether a discovery answer for
// gateway.networking.k8s.io/v1 lists HTTPRoutes.
func ServesHTTPRoutes(list *metav1.APIResourceList) bool {
	if list == nil {
		return false
	}
	return slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == "httproutes" })
}

// gatewayGone forgets that the cluster served HTTPRoutes after an
// HTTPRoute call was answered 404 for the resource itself (the CRDs were
// removed since), and says so when discovery agrees.
func (p *Provider) gatewayGone(ctx context.Context, err error) error {
	if !isNotFound(err) || p.traffic != model.TrafficGateway {
		return err
	}
	p.gatewayOK.Store(false)
	if perr := p.Preflight(ctx); perr != nil {
		return perr
	}
	return err
}

func (p *Provider) host() string {
	if p.RESTConfig != nil {
		return p.RESTConfig.Host
	}
	return ""
}
