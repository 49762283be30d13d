package local

import (
	"context"
	"errors"
	"time"
)

// superviseDoor replaces d when it dies (not when Shutdown stopped it), and
// gives the new process every route table set so far.
func (p *Provider) superviseDoor(d *doorProcess) {
	defer p.wg.Done()
	tick := time.NewTicker(200 * time.Millisecond) // adopted processes are polled
	defer tick.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-d.proc.done: // nil for an adopted process
		case <-tick.C:
		}
		done, how := d.proc.exited()
		if !done {
			continue
		}
		d.mu.Lock()
		stopping := d.stopping
		d.mu.Unlock()
		if stopping {
			return
		}
		p.log.Error("front door process exited; starting another", "environment", d.env, "pid", d.proc.pid, "how", how)
		d.disconnect()
		p.mu.Lock()
		if p.doors[d.env] == d {
			delete(p.doors, d.env)
		}
		p.mu.Unlock()
		for backoff := backoffMin; ; backoff = min(backoff*2, backoffMax) {
			err := p.restoreDoor(p.ctx, d.env)
			if err == nil || p.ctx.Err() != nil {
				return
			}
			p.log.Error("cannot restore the front door process", "environment", d.env, "err", err, "retry_in", backoff)
			if !sleep(p.ctx, backoff) {
				return
			}
		}
	}
}

// restoreDoor starts env's front-door process and sets every route table
// it had.
func (p *Provider) restoreDoor(ctx context.Context, env string) error {
	if _, err := p.ensureDoor(ctx, env); err != nil {
		return err
	}
	p.mu.Lock()
	var fds []FrontDoor
	for _, fd := range p.routes {
		if fd.Environment == env {
			fds = append(fds, fd)
		}
	}
	p.mu.Unlock()
	var errs []error
	for _, fd := range fds {
		errs = append(errs, p.SetRoutes(ctx, fd))
	}
	return errors.Join(errs...)
}

// backendsOf lists the healthy instances of every server group of env
// that this provider has published: a group it is still adopting after a
// restart is left out, so the front door keeps the instances it has.
func (p *Provider) backendsOf(env string) doorBackends {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dirtyMu.Lock()
	defer p.dirtyMu.Unlock()
	out := doorBackends{}
	for ref, ep := range p.endpoints {
		if ref.Environment != env || !p.published[ref] {
			continue
		}
		hosts := []string{}
		if l := ep.list.Load(); l != nil {
			for _, b := range *l {
				hosts = append(hosts, b.host)
			}
		}
		out[ref.Name] = hosts
	}
	return out
}

// endpointsChanged notes that a server group gained or lost a healthy
// instance; pushEndpoints tells the front-door process. It takes only a
// leaf lock: groups call it holding their own.
func (p *Provider) endpointsChanged(ref GroupRef) {
	p.dirtyMu.Lock()
	p.published[ref] = true
	p.dirty[ref.Environment] = true
	p.dirtyMu.Unlock()
	p.kickPush()
}

func (p *Provider) kickPush() {
	select {
	case p.pushKick <- struct{}{}:
	default:
	}
}

// pushEndpoints sends the healthy instances of each environment whose
// instances changed to its front-door process, until the provider closes.
func (p *Provider) pushEndpoints() {
	defer p.wg.Done()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-p.pushKick:
		}
		p.dirtyMu.Lock()
		envs := p.dirty
		p.dirty = map[string]bool{}
		p.dirtyMu.Unlock()
		for env := range envs {
			d := p.door(env)
			if d == nil {
				continue // the next process gets them with its routes
			}
			ctx, cancel := context.WithTimeout(p.ctx, doorCallTimeout)
			_, err := d.call(ctx, func() doorRequest { return doorRequest{Op: opEndpoints, Endpoints: p.backendsOf(env)} })
			cancel()
			if err != nil && p.ctx.Err() == nil {
				p.log.Warn("could not tell the front door process about healthy instances; trying again", "environment", env, "err", err)
				time.AfterFunc(250*time.Millisecond, func() {
					p.dirtyMu.Lock()
					p.dirty[env] = true
					p.dirtyMu.Unlock()
					p.kickPush()
				})
			}
		}
	}
}
