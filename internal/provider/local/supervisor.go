package local

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"
)

// Restart backoff: 1s, doubling to 30s; it resets once an instance has run
// healthy for backoffMax.
const (
	backoffMin = time.Second
	backoffMax = 30 * time.Second
	// startupProbeEvery is how often a process that has never been healthy is probed.
	startupProbeEvery = 100 * time.Millisecond
	// logTailLines is how much of an instance's log an error quotes.
	logTailLines = 5
)

// supervise watches one instance until ctx ends: it probes its health and
// restarts its process, with backoff, whenever it exits.
func (p *Provider) supervise(ctx context.Context, g *group, in *instance) {
	defer p.wg.Done()
	defer close(in.done)
	backoff := backoffMin
	for {
		g.mu.Lock()
		proc, spec := in.proc, g.spec
		g.mu.Unlock()
		logPath := p.logPath(g.ref, in.index)
		if proc == nil {
			var err error
			proc, err = p.restartProcess(ctx, spec, in.index, in.port, logPath)
			g.mu.Lock()
			in.restarts++
			if err != nil {
				in.lastErr = err.Error()
				in.failure = &InstanceError{ServerGroup: g.name, Instance: in.index, Reason: "could not be restarted: " + err.Error(), LogPath: logPath}
			} else {
				in.proc, in.startedAt, in.procHealthy = proc, time.Now(), false
			}
			g.changedLocked()
			g.mu.Unlock()
			if err != nil {
				p.log.Error("cannot restart instance", "server_group", g.name, "instance", in.index, "err", err)
				if !sleep(ctx, backoff) {
					return
				}
				backoff = min(backoff*2, backoffMax)
				continue
			}
			p.log.Info("instance restarted", "server_group", g.name, "instance", in.index, "pid", proc.pid, "port", in.port)
			_ = p.saveState()
		}

		healthyFor := p.watch(ctx, g, in, proc, spec)
		if ctx.Err() != nil {
			return // Close or stop: leave the process to whoever comes next
		}
		_, how := proc.exited()
		p.reportOutOfBand(spec, in.index, proc)
		tail := lastLogLines(logPath, logTailLines)
		g.mu.Lock()
		in.proc, in.healthy = nil, false
		in.lastErr = how
		if !in.procHealthy {
			in.failure = &InstanceError{ServerGroup: g.name, Instance: in.index, Reason: how, LogTail: tail, LogPath: logPath}
		}
		g.changedLocked()
		g.mu.Unlock()
		p.log.Warn("instance exited; restarting", "server_group", g.name, "instance", in.index, "pid", proc.pid, "how", how, "after", backoff)
		noteInLog(logPath, fmt.Sprintf("[gennaker %s] pid %d %s; restarting in %s", time.Now().UTC().Format(time.RFC3339), proc.pid, how, backoff))
		_ = p.saveState()
		if healthyFor >= backoffMax {
			backoff = backoffMin
		}
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, backoffMax)
	}
}

// reportOutOfBand tells Config.OutOfBand about a process of ours that
// ended without gennaker stopping it, when a signal from outside killed it.
func (p *Provider) reportOutOfBand(spec ServerGroupSpec, index int, proc *process) {
	if p.cfg.OutOfBand == nil || proc.adopted || !killedOutside(proc.signal) {
		return
	}
	p.cfg.OutOfBand(OutOfBandExit{
		Application: spec.Application, Environment: spec.Environment, ServerGroup: spec.Name,
		Instance: index, PID: proc.pid, StartTime: proc.startTime, Signal: proc.signal, Time: time.Now().UTC(),
	})
}

// watch probes proc until it exits or ctx ends, and returns how long it was healthy.
func (p *Provider) watch(ctx context.Context, g *group, in *instance, proc *process, spec ServerGroupSpec) time.Duration {
	var healthySince time.Time
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-proc.done: // nil for adopted processes; they are polled below
		case <-timer.C:
		}
		if done, _ := proc.exited(); done {
			if healthySince.IsZero() {
				return 0
			}
			return time.Since(healthySince)
		}
		err := p.probeOnce(ctx, in.port, spec)
		if ctx.Err() != nil {
			return 0
		}
		g.mu.Lock()
		was := in.healthy
		in.healthy = err == nil
		if err == nil {
			in.procHealthy, in.failure = true, nil
			if healthySince.IsZero() {
				healthySince = time.Now()
			}
		} else {
			in.lastErr = err.Error()
			healthySince = time.Time{}
		}
		if was != in.healthy {
			g.changedLocked()
		}
		every := spec.interval()
		if !in.procHealthy {
			every = min(every, startupProbeEvery)
		}
		g.mu.Unlock()
		timer.Reset(every)
	}
}

// probeOnce sends one health check GET.
func (p *Provider) probeOnce(ctx context.Context, port int, spec ServerGroupSpec) error {
	ctx, cancel := context.WithTimeout(ctx, spec.timeout())
	defer cancel()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + spec.healthPath()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := p.probe.Do(req)
	if err != nil {
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) && uerr.Unwrap() != nil {
			err = uerr.Unwrap()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %s", spec.timeout())
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// restartProcess starts an instance's process again. It reads the secrets
// of run.env again, so a rotated file reaches the new process.
func (p *Provider) restartProcess(ctx context.Context, spec ServerGroupSpec, index, port int, logPath string) (*process, error) {
	secrets, err := spec.resolveSecrets(ctx, p.cfg.Secrets)
	if err != nil {
		noteInLog(logPath, fmt.Sprintf("%s %s instance %d cannot start: %v", logMarker, spec.Name, index, err))
		return nil, err
	}
	return spawn(p.inherit, secrets, spec, index, port, logPath, p.marker())
}

// noteInLog appends a line of gennaker's own to an instance's log, so
// `gennaker logs` shows why the output stops and starts again.
func noteInLog(path, line string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, logFileMode)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(line + "\n")
}
