package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Backoff bounds the retries of transient API errors.
type Backoff struct {
	Initial time.Duration // first wait (default 200ms)
	Max     time.Duration // longest wait (default 5s)
	// Budget is how long one call keeps retrying (default 2m); after it the
	// last error is returned.
	Budget time.Duration
	// RefusalGrace is how long after the API server was last seen not
	// ready a 401 or 403 is still retried (default 5s): see RetryRefusal.
	RefusalGrace time.Duration
	// RefusedWait bounds the retries of a 403 while /readyz is refused too
	// (default 15s).
	RefusedWait time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = 200 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Second
	}
	if b.Budget <= 0 {
		b.Budget = 2 * time.Minute
	}
	if b.RefusalGrace <= 0 {
		b.RefusalGrace = 5 * time.Second
	}
	if b.RefusedWait <= 0 {
		b.RefusedWait = 15 * time.Second
	}
	return b
}

// retry runs call until it succeeds, fails permanently, the budget is spent
// or ctx ends. what names the operation for the error, such as
// "apply Deployment shop/checkout-v002". A 401 or 403 is retried while the
// API server is not ready (see RetryRefusal); from a ready server it fails
// with an AccessError that says what to fix.
func (p *Provider) retry(ctx context.Context, what string, call func(context.Context) error) error {
	b := p.backoff
	deadline := time.Now().Add(b.Budget)
	wait := b.Initial
	var firstRefusal time.Time
	for attempt := 1; ; attempt++ {
		err := call(ctx)
		if err == nil {
			return nil
		}
		retry := transient(err)
		if retry && unready(err) {
			p.server.sawUnready(time.Now())
		}
		if status := refusalStatus(err); status != 0 {
			if firstRefusal.IsZero() {
				firstRefusal = time.Now()
			}
			retry = p.retryRefusal(ctx, status, time.Since(firstRefusal))
			if !retry {
				err = p.accessError(err)
			}
		}
		if !retry || time.Now().Add(wait).After(deadline) {
			if attempt > 1 {
				return fmt.Errorf("%s (after %d attempts): %w", what, attempt, err)
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		p.log.Debug("retrying a transient Kubernetes API error", "op", what, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(wait*2, b.Max)
	}
}

// retryRefusal looks at /readyz after a 401 or 403 and decides with
// RetryRefusal.
func (p *Provider) retryRefusal(ctx context.Context, status int32, waited time.Duration) bool {
	probe := p.probe(ctx)
	now := time.Now()
	if probe == ReadinessNotReady {
		p.server.sawUnready(now)
	}
	r := Refusal{Status: status, Probe: probe, SinceUnready: p.server.sinceUnready(now), Waited: waited}
	retry := RetryRefusal(r, p.backoff.RefusalGrace, p.backoff.RefusedWait)
	p.log.Debug("the API server refused a call", "status", status, "readyz", probe.String(),
		"sinceUnready", r.SinceUnready, "waited", waited, "retry", retry)
	return retry
}

// accessError says what to fix about a refusal from a ready API server.
func (p *Provider) accessError(err error) error {
	var ae *AccessError
	if errors.As(err, &ae) {
		return err
	}
	return &AccessError{Environment: p.env, Kubeconfig: p.kubeconfig, Namespace: p.ns, Err: err}
}
