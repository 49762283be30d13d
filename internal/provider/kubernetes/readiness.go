package kubernetes

import (
	"context"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// An API server that has just started answers 403 (and may answer 401) for
// about a second before its /readyz passes: its RBAC authorizer has not
// synced yet, so it refuses everyone but system:masters. Such a refusal is
// worth retrying; the same answer from a ready server means what it says.

// Readiness is what a look at the API server's /readyz found.
type Readiness int

const (
	// ReadinessReady: /readyz passed.
	ReadinessReady Readiness = iota
	// ReadinessNotReady: /readyz failed (5xx), or the API server could not
	// be reached or did not answer in time.
	ReadinessNotReady
	// ReadinessRefused: /readyz answered 401 or 403 to gennaker's identity,
	// which a ready server under default RBAC does not (system:public-info-viewer
	// lets every authenticated user read it): RBAC is not synced yet, or the
	// cluster's admins took that binding away.
	ReadinessRefused
)

func (r Readiness) String() string {
	switch r {
	case ReadinessReady:
		return "ready"
	case ReadinessNotReady:
		return "not ready"
	case ReadinessRefused:
		return "refused /readyz"
	}
	return "unknown"
}

// Refusal is what the provider knows when an API call was answered 401 or
// 403, for RetryRefusal to decide on.
type Refusal struct {
	// Status is the call's answer: 401 or 403.
	Status int32
	// Probe is what /readyz said just after the refusal.
	Probe Readiness
	// SinceUnready is how long ago the provider last saw the API server
	// not ready or unreachable; below zero when it never did.
	SinceUnready time.Duration
	// Waited is how long this call has been refused so far.
	Waited time.Duration
}

// RetryRefusal decides whether a 401 or 403 is retried:
//   - the API server is not ready, or was not ready less than grace ago
//     (it has just started and its RBAC may not have synced): retry;
//   - /readyz itself is refused a 403 (RBAC not synced refuses it too):
//     retry for refusedWait at most, since a cluster whose admins removed
//     system:public-info-viewer answers so for good;
//   - otherwise the server is ready and means it: fail at once.
func RetryRefusal(r Refusal, grace, refusedWait time.Duration) bool {
	switch {
	case r.SinceUnready >= 0 && r.SinceUnready < grace:
		return true
	case r.Probe == ReadinessNotReady:
		return true
	case r.Probe == ReadinessRefused && r.Status == 403:
		return r.Waited < refusedWait
	}
	return false
}

// refusalStatus is 401 or 403 when err is an API server's refusal, else 0.
func refusalStatus(err error) int32 {
	switch {
	case apierrors.IsUnauthorized(err):
		return 401
	case apierrors.IsForbidden(err):
		return 403
	}
	return 0
}

// unready reports whether a transient error says the API server is not
// (yet) ready: it could not be reached, or answered 5xx or timed out;
// conflicts and throttling come from a server that works.
func unready(err error) bool {
	return transient(err) && !apierrors.IsConflict(err) && !apierrors.IsTooManyRequests(err)
}

// serverWatch remembers when the API server was last seen not ready.
type serverWatch struct {
	lastUnready atomic.Int64 // unix nanoseconds; 0: never
}

func (w *serverWatch) sawUnready(now time.Time) { w.lastUnready.Store(now.UnixNano()) }

// sinceUnready is how long ago the server was last seen not ready, or -1.
func (w *serverWatch) sinceUnready(now time.Time) time.Duration {
	t := w.lastUnready.Load()
	if t == 0 {
		return -1
	}
	return now.Sub(time.Unix(0, t))
}

// probeReadyz asks the API server's /readyz with the provider's own client
// and credentials.
func (p *Provider) probeReadyz(ctx context.Context) Readiness {
	rc := p.kube.Discovery().RESTClient()
	if rc == nil { // a fake clientset: nothing to ask
		return ReadinessReady
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
	return readinessOf(err)
}

// readinessOf classifies the answer to GET /readyz.
func readinessOf(err error) Readiness {
	switch {
	case err == nil:
		return ReadinessReady
	case refusalStatus(err) != 0:
		return ReadinessRefused
	}
	return ReadinessNotReady
}
