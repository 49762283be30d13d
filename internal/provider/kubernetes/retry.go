package kubernetes

import (
	"context"
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
	return b
}

// retry runs call until it succeeds, fails permanently, the budget is spent
// or ctx ends. what names the operation for the error, such as
// "apply Deployment shop/checkout-v002".
func (p *Provider) retry(ctx context.Context, what string, call func(context.Context) error) error {
	b := p.backoff
	deadline := time.Now().Add(b.Budget)
	wait := b.Initial
	for attempt := 1; ; attempt++ {
		err := call(ctx)
		if err == nil {
			return nil
		}
		if !transient(err) || time.Now().Add(wait).After(deadline) {
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
