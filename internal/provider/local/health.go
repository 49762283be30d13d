package local

import (
	"context"
	"fmt"
	"time"
)

// Health reports the state of every instance of a server group.
func (p *Provider) Health(ctx context.Context, ref GroupRef) (Health, error) {
	g, err := p.lookup(ref)
	if err != nil {
		return Health{}, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	h := Health{ServerGroup: ref.Name, Desired: g.spec.Instances}
	for _, in := range g.sortedInstances() {
		s := in.status()
		if s.Healthy {
			h.Healthy++
		}
		h.Instances = append(h.Instances, s)
	}
	return h, nil
}

// WaitHealthy blocks until every instance of the server group answers its
// health check. It fails at once when an instance exits before it was ever
// healthy, and after HealthCheck.StartupTimeout or when ctx ends; the error
// names the instance and quotes its log.
func (p *Provider) WaitHealthy(ctx context.Context, ref GroupRef) error {
	g, err := p.lookup(ref)
	if err != nil {
		return err
	}
	g.mu.Lock()
	timeout := g.spec.startupTimeout()
	g.mu.Unlock()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		g.mu.Lock()
		changed := g.changed
		ready, failure, waiting := g.readiness()
		spec := g.spec
		g.mu.Unlock()
		if ready {
			return nil
		}
		if failure != nil {
			return failure
		}
		select {
		case <-changed:
		case <-timer.C:
			return p.notHealthyError(g, spec, waiting, fmt.Sprintf("within %s", timeout))
		case <-ctx.Done():
			return fmt.Errorf("%w (stopped waiting: %w)", p.notHealthyError(g, spec, waiting, "yet"), ctx.Err())
		case <-p.ctx.Done():
			return ErrClosed
		}
	}
}

// CheckHealthy looks once at the server group: true when every instance
// answers its health check; an error when an instance exited before it was
// ever healthy, or when waited (how long the caller has been waiting, from
// its own stored start) is past HealthCheck.StartupTimeout; false otherwise,
// to look again later. The error names the instance and quotes its log.
func (p *Provider) CheckHealthy(_ context.Context, ref GroupRef, waited time.Duration) (bool, error) {
	g, err := p.lookup(ref)
	if err != nil {
		return false, err
	}
	g.mu.Lock()
	timeout := g.spec.startupTimeout()
	ready, failure, waiting := g.readiness()
	spec := g.spec
	g.mu.Unlock()
	switch {
	case ready:
		return true, nil
	case failure != nil:
		return false, failure
	case waited > timeout:
		return false, p.notHealthyError(g, spec, waiting, fmt.Sprintf("within %s", timeout))
	}
	return false, nil
}

// readiness says whether every desired instance is healthy; otherwise it
// returns an instance's startup failure, or the first instance still waited for.
// Callers hold g.mu.
func (g *group) readiness() (ready bool, failure error, waiting *instance) {
	healthy := 0
	for _, in := range g.sortedInstances() {
		switch {
		case in.index >= g.spec.Instances:
		case in.healthy:
			healthy++
		case in.failure != nil:
			return false, in.failure, in
		case waiting == nil:
			waiting = in
		}
	}
	return healthy == g.spec.Instances, nil, waiting
}

func (p *Provider) notHealthyError(g *group, spec ServerGroupSpec, in *instance, when string) error {
	if in == nil {
		return fmt.Errorf("%s has fewer than %d instances running %s: ensure it again", g.name, spec.Instances, when)
	}
	g.mu.Lock()
	port, lastErr := in.port, in.lastErr
	g.mu.Unlock()
	reason := fmt.Sprintf("did not answer GET %s on 127.0.0.1:%d %s", spec.healthPath(), port, when)
	if lastErr != "" {
		reason += ": " + lastErr
	}
	logPath := p.logPath(g.ref, in.index)
	return &InstanceError{ServerGroup: g.name, Instance: in.index, Reason: reason,
		LogTail: lastLogLines(logPath, logTailLines), LogPath: logPath}
}
