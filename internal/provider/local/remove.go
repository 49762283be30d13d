package local

import (
	"context"
	"errors"
	"strings"
)

// This file takes down what a deleted application or environment ran on
// the local target: its front door (the listening address is released),
// and, once an environment serves no application any more, the
// environment's front-door process. Server groups are stopped with Destroy
// first. Every call is idempotent: a door already gone is no error.

// RemoveFrontDoor closes the front door of app in env and forgets its
// routes; when no other application of env has a front door left, the
// environment's front-door process is stopped.
func (p *Provider) RemoveFrontDoor(ctx context.Context, app, env string) error {
	if d := p.door(env); d != nil {
		_, err := d.call(ctx, func() doorRequest { return doorRequest{Op: opForget, Application: app} })
		var de *doorError
		if errors.As(err, &de) && strings.Contains(de.msg, "unknown operation") {
			// A process of an older gennaker: empty its table instead; its
			// address is released when the process stops.
			_, err = d.call(ctx, func() doorRequest {
				return doorRequest{Op: opRoutes, Application: app, Address: p.routeAddress(app, env), Endpoints: p.backendsOf(env)}
			})
		}
		if err != nil {
			return err
		}
	}
	p.mu.Lock()
	delete(p.routes, fdKey(app, env))
	others := false
	for _, fd := range p.routes {
		if fd.Environment == env {
			others = true
		}
	}
	p.mu.Unlock()
	if !others {
		return p.StopEnvironment(ctx, env)
	}
	return p.saveState()
}

// routeAddress is the address app's door in env was last given.
func (p *Provider) routeAddress(app, env string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.routes[fdKey(app, env)].Address
}

// StopEnvironment stops env's front-door process (every application's
// front door in env) and forgets it, so it is neither restarted nor
// adopted. Stop its server groups with Destroy first.
func (p *Provider) StopEnvironment(ctx context.Context, env string) error {
	p.doorOps.Lock()
	defer p.doorOps.Unlock()
	p.mu.Lock()
	d := p.doors[env]
	rec, hasRec := p.doorRecs[env]
	delete(p.doors, env)
	delete(p.doorRecs, env)
	for key, fd := range p.routes {
		if fd.Environment == env {
			delete(p.routes, key)
		}
	}
	p.mu.Unlock()
	if d != nil {
		p.stopDoorProcess(ctx, d)
	}
	if hasRec && alive(rec.PID, rec.StartTime) {
		(&process{pid: rec.PID, startTime: rec.StartTime, adopted: true}).terminate(ctx, p.cfg.GracePeriod)
	}
	return p.saveState()
}

// GroupsIn lists the server groups this provider runs or remembers in env.
func (p *Provider) GroupsIn(env string) []GroupRef {
	var out []GroupRef
	for _, ref := range p.known() {
		if ref.Environment == env {
			out = append(out, ref)
		}
	}
	return out
}
