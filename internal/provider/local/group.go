package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"
)

// group is one server group the provider runs.
type group struct {
	ref  GroupRef
	name string
	ep   *endpoints // healthy instances, pushed to the front-door process
	// notify tells the provider the group's environment has new healthy
	// instances to push; it takes only a leaf lock.
	notify func(ref GroupRef)

	ops       sync.Mutex // serialises Ensure, Resize and Destroy of this group
	destroyed bool       // guarded by ops

	mu        sync.Mutex // guards the fields below and every instance's status
	spec      ServerGroupSpec
	instances map[int]*instance
	changed   chan struct{} // closed and replaced on every status change
}

func newGroup(spec ServerGroupSpec, ep *endpoints) *group {
	return &group{ref: spec.Ref(), name: spec.Name, ep: ep, spec: spec, instances: map[int]*instance{}, changed: make(chan struct{})}
}

// sortedInstances lists instances by index. Callers hold g.mu.
func (g *group) sortedInstances() []*instance {
	out := make([]*instance, 0, len(g.instances))
	for _, in := range g.instances {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out
}

// changedLocked publishes the healthy instances to the front doors and
// wakes WaitHealthy. Callers hold g.mu.
func (g *group) changedLocked() {
	var bs []*backend
	for _, in := range g.sortedInstances() {
		if in.healthy {
			bs = append(bs, &backend{host: "127.0.0.1:" + strconv.Itoa(in.port), index: in.index})
		}
	}
	g.ep.set(bs)
	if g.notify != nil {
		g.notify(g.ref)
	}
	close(g.changed)
	g.changed = make(chan struct{})
}

// record is the group as the state file keeps it. Callers hold g.mu.
func (g *group) record() groupRecord {
	rec := groupRecord{Spec: g.spec}
	for _, in := range g.sortedInstances() {
		r := instanceRecord{Index: in.index, Port: in.port}
		if in.proc != nil {
			r.PID, r.StartTime = in.proc.pid, in.proc.startTime
		}
		rec.Instances = append(rec.Instances, r)
	}
	return rec
}

// converge starts missing instances below spec.Instances and stops the
// ones at or above it. Callers hold g.ops.
func (p *Provider) converge(ctx context.Context, g *group) error {
	g.mu.Lock()
	spec, want := g.spec, g.spec.Instances
	var missing []int
	for i := range want {
		if g.instances[i] == nil {
			missing = append(missing, i)
		}
	}
	var extra []*instance
	for _, in := range g.sortedInstances() {
		if in.index >= want {
			extra = append(extra, in)
		}
	}
	g.mu.Unlock()
	var errs []error
	if len(missing) > 0 {
		// Running instances (adopted ones too) need no secrets; new ones
		// do: they are read once for all of them, and none starts when one
		// cannot be read.
		secrets, err := spec.resolveSecrets(ctx, p.cfg.Secrets)
		if err != nil {
			errs, missing = append(errs, err), nil
		}
		for _, i := range missing {
			if err := p.startInstance(g, i, 0, nil, secrets); err != nil {
				errs = append(errs, err)
			}
		}
	}
	p.stopInstances(ctx, g, extra)
	return errors.Join(errs...)
}

// adopt takes over the recorded instances of g that still run (same pid and
// start time) and restarts, on their old port when free, those that do not.
// Callers hold g.ops.
func (p *Provider) adopt(ctx context.Context, g *group, rec groupRecord) error {
	g.mu.Lock()
	spec, want := g.spec, g.spec.Instances
	g.mu.Unlock()
	var errs []error
	var gone []instanceRecord
	for _, r := range rec.Instances {
		live := r.PID > 0 && alive(r.PID, r.StartTime)
		if r.Index >= want {
			if live {
				(&process{pid: r.PID, startTime: r.StartTime, adopted: true}).terminate(ctx, p.cfg.GracePeriod)
			}
			continue
		}
		if live {
			p.log.Info("adopted running instance", "server_group", g.name, "instance", r.Index, "pid", r.PID, "port", r.Port)
			proc := &process{pid: r.PID, startTime: r.StartTime, adopted: true}
			if err := p.startInstance(g, r.Index, r.Port, proc, nil); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		gone = append(gone, r)
	}
	if len(gone) == 0 {
		return errors.Join(errs...)
	}
	secrets, err := spec.resolveSecrets(ctx, p.cfg.Secrets) // once for all of them
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, r := range gone {
		port := 0
		if portFree(r.Port) {
			port = r.Port
		}
		p.log.Info("recorded instance is gone; starting it again", "server_group", g.name, "instance", r.Index, "pid", r.PID)
		if err := p.startInstance(g, r.Index, port, nil, secrets); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// startInstance registers instance index of g and starts its supervisor. It
// spawns the process now (so a bad command fails the call) unless proc is
// an adopted one. port 0 allocates a free port. secrets are the values of
// the group's run.env secretRefs (resolveSecrets), for a process to spawn.
func (p *Provider) startInstance(g *group, index, port int, proc *process, secrets map[string]string) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if port == 0 {
		var err error
		if port, err = p.allocPort(); err != nil {
			p.mu.Unlock()
			return fmt.Errorf("server group %s instance %d: %w", g.name, index, err)
		}
	}
	g.mu.Lock()
	spec := g.spec
	if g.instances[index] != nil {
		g.mu.Unlock()
		p.mu.Unlock()
		return nil
	}
	in := &instance{index: index, port: port, done: make(chan struct{}), startedAt: time.Now()}
	g.instances[index] = in // reserves the port
	g.mu.Unlock()
	p.mu.Unlock()

	if proc == nil {
		logPath := p.logPath(g.ref, index)
		var err error
		if err = os.MkdirAll(filepath.Dir(logPath), dirMode); err == nil {
			proc, err = spawn(p.inherit, secrets, spec, index, port, logPath, p.marker())
		}
		if err != nil {
			g.mu.Lock()
			delete(g.instances, index)
			g.mu.Unlock()
			return fmt.Errorf("server group %s instance %d: %w", g.name, index, err)
		}
		p.log.Info("instance started", "server_group", g.name, "instance", index, "pid", proc.pid, "port", port)
	}
	adopted := proc.adopted && p.probeOnce(p.ctx, port, spec) == nil
	g.mu.Lock()
	in.proc = proc
	if adopted {
		// An adopted instance that answers now serves at once: the front
		// door must not answer 503 while the first periodic check is due.
		in.healthy, in.procHealthy = true, true
		g.changedLocked()
	}
	g.mu.Unlock()
	ctx, cancel := context.WithCancel(p.ctx)
	in.cancel = cancel
	p.wg.Add(1)
	go p.supervise(ctx, g, in)
	return nil
}

// stopInstances stops the given instances in parallel and forgets them.
func (p *Provider) stopInstances(ctx context.Context, g *group, ins []*instance) {
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Go(func() {
			in.cancel()
			<-in.done // no restart can happen after this
			g.mu.Lock()
			proc := in.proc
			in.healthy = false
			g.changedLocked()
			g.mu.Unlock()
			if proc != nil {
				proc.terminate(ctx, p.cfg.GracePeriod)
			}
			g.mu.Lock()
			delete(g.instances, in.index)
			g.changedLocked()
			g.mu.Unlock()
			p.log.Info("instance stopped", "server_group", g.name, "instance", in.index)
		})
	}
	wg.Wait()
}

// killRecorded stops the recorded instances of a group that was never
// adopted, checking start times so a reused pid is left alone.
func (p *Provider) killRecorded(ctx context.Context, rec groupRecord) {
	var wg sync.WaitGroup
	for _, r := range rec.Instances {
		if r.PID > 0 && alive(r.PID, r.StartTime) {
			wg.Go(func() {
				(&process{pid: r.PID, startTime: r.StartTime, adopted: true}).terminate(ctx, p.cfg.GracePeriod)
				p.log.Info("stopped recorded instance", "server_group", rec.Spec.Name, "instance", r.Index, "pid", r.PID)
			})
		}
	}
	wg.Wait()
}
