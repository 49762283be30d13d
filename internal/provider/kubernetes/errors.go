package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/gennaker/gennaker/internal/model"
)

var (
	// ErrNoCounters: the Kubernetes target has no front door to count
	// requests; canary analysis on Kubernetes reads Prometheus instead.
	ErrNoCounters = errors.New("the kubernetes target has no request counters: analysis on Kubernetes reads Prometheus (set the analysis source to prometheus with the server group as a label)")
	// ErrNotHealthy: a server group did not become available in time.
	ErrNotHealthy = errors.New("server group is not healthy")
	// ErrNotFound: the object gennaker looked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrGatewayAPIMissing: a gateway environment's cluster does not serve
	// the Gateway API's HTTPRoutes (its CRDs are not installed).
	ErrGatewayAPIMissing = errors.New("the cluster does not serve the Gateway API")
)

// AccessError: a ready API server refused gennaker's credentials (401) or
// a permission (403). It keeps the API server's message and says what to fix.
type AccessError struct {
	Environment string
	// Kubeconfig is the file the credentials come from ("" for the default
	// loading rules, InCluster for the pod's ServiceAccount).
	Kubeconfig string
	Namespace  string
	Err        error // the API server's answer
}

func (e *AccessError) Error() string {
	file := "the kubeconfig (target.kubeconfig, else $KUBECONFIG or ~/.kube/config)"
	switch e.Kubeconfig {
	case "":
	case InCluster:
		file = "the pod's ServiceAccount token"
	default:
		file = e.Kubeconfig
	}
	if apierrors.IsUnauthorized(e.Err) {
		said := ""
		if msg := e.Err.Error(); msg != "Unauthorized" {
			said = " (" + msg + ")"
		}
		return fmt.Sprintf("Unauthorized: the credentials in %s were refused%s: fix them (a new token, say); gennaker re-reads the file", file, said)
	}
	return fmt.Sprintf("%v: give the identity of %s the Role in docs/kubernetes-rbac.yaml (kubectl -n %s apply -f docs/kubernetes-rbac.yaml, bound to that identity)", e.Err, file, e.Namespace)
}

func (e *AccessError) Unwrap() error { return e.Err }

// GatewayAPIMissingError: a gateway environment's cluster does not serve
// HTTPRoutes in gateway.networking.k8s.io/v1.
type GatewayAPIMissingError struct {
	Environment string
	Server      string // the API server's URL, when known
	Err         error  // what discovery answered
}

func (e *GatewayAPIMissingError) Error() string {
	at := "the cluster"
	if e.Server != "" {
		at = "the cluster at " + e.Server
	}
	return fmt.Sprintf("environment %s: traffic: gateway needs the Gateway API, and %s does not serve %s %s (%v): install its CRDs with `kubectl apply -f %s` and a Gateway implementation, or set traffic: replicas; nothing was created",
		e.Environment, at, GatewayAPIGroupVersion, "httproutes", e.Err, GatewayAPIInstallURL)
}

func (e *GatewayAPIMissingError) Unwrap() error { return ErrGatewayAPIMissing }

// UnhealthyError says why a server group is not available, in the pods' own words.
type UnhealthyError struct {
	ServerGroup string
	Ready       int32
	Desired     int32
	// Reason is the first pod problem found, such as
	// `pod checkout-v002-7d9-x: Unschedulable: 0/1 nodes are available: ...`.
	Reason string
}

func (e *UnhealthyError) Error() string {
	msg := fmt.Sprintf("server group %s: %d of %d replicas available", e.ServerGroup, e.Ready, e.Desired)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

func (e *UnhealthyError) Unwrap() error { return ErrNotHealthy }

// transient reports whether an API error is worth retrying: server errors,
// timeouts, throttling, conflicts and connection failures (an API server
// restarting). Any other 4xx is not, even when client-go marks it an
// unexpected response (a 404 for a resource the server does not serve, such
// as HTTPRoutes without the Gateway API CRDs, comes so).
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if code := status.Status().Code; code >= 400 && code < 500 {
			return code == 409 || code == 429 || code == 408
		}
	}
	switch {
	case apierrors.IsConflict(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsTooManyRequests(err), apierrors.IsInternalError(err), apierrors.IsServiceUnavailable(err),
		apierrors.IsUnexpectedServerError(err):
		return true
	}
	if errors.As(err, &status) {
		return status.Status().Code >= 500
	}
	// Connection-level failures (refused, reset, timeouts) are transient; a
	// bad certificate or kubeconfig is not, though it also comes as a url.Error.
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || apierrors.IsNotFound(err)
}

// ErrServerSecret: a run.env secret the gennaker server would read (env,
// file) on a kubernetes environment, where its value would end up in the
// Deployment's spec.
var ErrServerSecret = errors.New("a secret read by the gennaker server cannot go into a Deployment")

// ServerSecretError names the run.env variable refused with ErrServerSecret.
type ServerSecretError struct {
	Application, Var string
	Ref              model.SecretRef
	Namespace        string
}

func (e *ServerSecretError) Error() string {
	return fmt.Sprintf("application %s: run.env.%s reads %s on the gennaker server, which would copy the secret into the Deployment's spec, readable by anyone who can read Deployments: put it in a Secret in namespace %s and use {secretRef: {kubernetes: {name, key}}}",
		e.Application, e.Var, e.Ref, e.Namespace)
}

func (e *ServerSecretError) Unwrap() error { return ErrServerSecret }
