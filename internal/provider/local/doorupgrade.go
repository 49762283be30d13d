package local

import (
	"context"
	"fmt"
	"time"
)

// upgradeDoor replaces old, a front-door process that speaks another
// protocol version (a gennaker upgrade), without refusing a connection: old
// hands duplicates of its listening sockets over, a new process serves
// them with old's routes and healthy instances, and only then old stops
// accepting, finishes the requests it has and exits. Both accept on the
// same sockets meanwhile.
func (p *Provider) upgradeDoor(ctx context.Context, old *doorProcess) (*doorProcess, error) {
	reply, files, err := old.handover(ctx)
	if err != nil {
		return nil, fmt.Errorf("handover: %w", err)
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	d, err := p.spawnDoor(ctx, old.env, files, reply.Listeners)
	if err != nil {
		return nil, err
	}
	for _, app := range reply.Listeners {
		_, err := d.call(ctx, func() doorRequest {
			return doorRequest{Op: opRoutes, Application: app, Address: reply.Addresses[app], Routes: reply.Routes[app], Sticky: reply.Sticky[app], TLS: tlsOf(reply.TLS, app), Endpoints: reply.Endpoints}
		})
		if err != nil {
			d.proc.terminate(ctx, time.Second) // old serves on
			return nil, fmt.Errorf("routes of %s for the new process: %w", app, err)
		}
	}
	if err := old.stopNow(ctx); err != nil {
		p.log.Warn("the old front door process did not acknowledge its stop; stopping it", "pid", old.proc.pid, "err", err)
		old.proc.terminate(ctx, p.cfg.GracePeriod)
	}
	p.log.Info("front door process replaced by one of this version; its listening sockets were handed over",
		"environment", old.env, "old_pid", old.proc.pid, "pid", d.proc.pid, "applications", reply.Listeners)
	return d, nil
}

// tlsOf is app's TLS files in a handover's reply, nil for plain HTTP.
func tlsOf(m map[string]TLSFiles, app string) *TLSFiles {
	if f, ok := m[app]; ok {
		return &f
	}
	return nil
}
