package local

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// This file is the server's side of the front-door processes: it starts
// one per environment, adopts the one a previous server left running,
// replaces one that dies, and pushes route tables and healthy instances to
// it. One process per environment, not per application: a laptop running
// a few applications in dev, staging and prod runs three, and an
// environment's applications share its fate anyway.

// doorStartTimeout bounds how long a new front-door process may take to
// answer on its control socket.
const doorStartTimeout = 10 * time.Second

// SetRoutes starts the front door of fd.Application in fd.Environment, or
// moves it to a new address, and swaps in its routes atomically. It
// returns once the environment's front-door process has acknowledged the
// new table: the next request it reads uses it.
func (p *Provider) SetRoutes(ctx context.Context, fd FrontDoor) error {
	if err := fd.validate(); err != nil {
		return err
	}
	d, err := p.ensureDoor(ctx, fd.Environment)
	if err != nil {
		return err
	}
	p.mu.Lock()
	for _, r := range fd.Routes {
		p.endpointsLocked(GroupRef{Environment: fd.Environment, Name: r.ServerGroup})
	}
	p.mu.Unlock()
	_, err = d.call(ctx, func() doorRequest {
		return doorRequest{Op: opRoutes, Application: fd.Application, Address: fd.Address, Routes: fd.Routes, Sticky: fd.Sticky, TLS: fd.TLS, Endpoints: p.backendsOf(fd.Environment)}
	})
	if err != nil {
		return fmt.Errorf("front door %s/%s: %w", fd.Application, fd.Environment, err)
	}
	p.mu.Lock()
	p.routes[fdKey(fd.Application, fd.Environment)] = fd
	p.mu.Unlock()
	return nil
}

// FrontDoorAddress returns the address the front door of app in env listens
// on ("" when it has none), with the real port when it was configured as 0.
func (p *Provider) FrontDoorAddress(app, env string) string {
	if d := p.door(env); d != nil {
		return d.addressOf(app)
	}
	return ""
}

// door is env's front-door process, nil when none is running for this provider.
func (p *Provider) door(env string) *doorProcess {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.doors[env]
}

func (p *Provider) allDoors() []*doorProcess {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*doorProcess, 0, len(p.doors))
	for _, d := range p.doors {
		out = append(out, d)
	}
	return out
}

// ensureDoor returns env's front-door process: the running one, the one
// recorded in the state file if it still runs and proves who it is, or a
// new one.
func (p *Provider) ensureDoor(ctx context.Context, env string) (*doorProcess, error) {
	p.doorOps.Lock()
	defer p.doorOps.Unlock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if d := p.doors[env]; d != nil {
		p.mu.Unlock()
		return d, nil
	}
	rec, recorded := p.doorRecs[env]
	delete(p.doorRecs, env)
	p.mu.Unlock()
	if recorded {
		d, err := p.adoptDoor(ctx, rec)
		if err == nil {
			p.log.Info("adopted running front door process", "environment", env, "pid", rec.PID, "doors", d.bound)
			p.registerDoor(d)
			return d, nil
		}
		if errors.Is(err, errDoorProtocol) {
			nd, uerr := p.upgradeDoor(ctx, d)
			if uerr == nil {
				p.registerDoor(nd)
				return nd, nil
			}
			d.disconnect()
			err = fmt.Errorf("%w; the handover to a new process failed: %w", err, uerr)
		}
		p.log.Warn("cannot adopt the recorded front door process; starting another", "environment", env, "pid", rec.PID, "err", err)
		if alive(rec.PID, rec.StartTime) {
			(&process{pid: rec.PID, startTime: rec.StartTime, adopted: true}).terminate(ctx, p.cfg.GracePeriod)
		}
	}
	d, err := p.spawnDoor(ctx, env, nil, nil)
	if err != nil {
		return nil, err
	}
	p.log.Info("front door process started", "environment", env, "pid", d.proc.pid, "socket", d.socket)
	p.registerDoor(d)
	return d, nil
}

func (p *Provider) registerDoor(d *doorProcess) {
	p.mu.Lock()
	p.doors[d.env] = d
	p.mu.Unlock()
	_ = p.saveState()
	p.wg.Add(1)
	go p.superviseDoor(d)
}

// adoptDoor takes over a front-door process a previous server started:
// the recorded pid must run with the recorded start time (not a reused
// pid), and answer on its socket with the recorded token and its pid.
func (p *Provider) adoptDoor(ctx context.Context, rec doorRecord) (*doorProcess, error) {
	if rec.PID <= 0 || !alive(rec.PID, rec.StartTime) {
		return nil, fmt.Errorf("front door process %d is gone", rec.PID)
	}
	d := &doorProcess{env: rec.Environment, socket: rec.Socket, token: rec.Token,
		proc: &process{pid: rec.PID, startTime: rec.StartTime, adopted: true}}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.connectLocked(ctx); err != nil {
		if errors.Is(err, errDoorProtocol) {
			return d, err // connected: it can still hand over
		}
		return nil, err
	}
	return d, nil
}

// spawnDoor starts env's front-door process in a process group of its own
// (a signal to the server's process group, a Ctrl-C in its terminal or the
// server's death do not reach it; it ignores SIGHUP, so a closed terminal
// does not either), with its output appended to
// DataDir/logs/frontdoor-ENV.log, and waits until it answers. inherit are
// listening sockets a predecessor handed over, for the applications apps.
func (p *Provider) spawnDoor(ctx context.Context, env string, inherit []*os.File, apps []string) (*doorProcess, error) {
	sock, err := p.doorSocket(env)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(p.cfg.DataDir, "logs", "frontdoor-"+env+".log")
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, logFileMode)
	if err != nil {
		return nil, fmt.Errorf("front door process of %s: open its log: %w", env, err)
	}
	defer f.Close()
	token := randomToken()
	cmd := exec.Command(p.exe, "frontdoor", "--socket", sock, "--environment", env)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), p.marker(), doorChildVar + "=1", doorTokenVar + "=" + token}
	if len(inherit) > 0 {
		fds := map[string]int{}
		for i, app := range apps {
			fds[app] = 3 + i // ExtraFiles start at fd 3
		}
		spec, _ := json.Marshal(fds)
		cmd.Env = append(cmd.Env, doorInheritVar+"="+string(spec))
		cmd.ExtraFiles = inherit
	}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = f, f
	// Not a session of its own (setsid): Linux gives each session its own
	// scheduling group (autogroup) and shares the CPU between groups, so
	// a front door in its own session and the instances in the server's
	// were scheduled against each other: each request woke the other
	// group, and the front door plus its instances cost twice the CPU per
	// request that they cost in one group (docs/benchmarks.md).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start the front door process of %s with %s: %w (the server runs front doors with its own binary)", env, p.exe, err)
	}
	proc := &process{pid: cmd.Process.Pid, done: make(chan struct{})}
	proc.startTime, _ = procStartTime(proc.pid)
	go func() {
		err := cmd.Wait()
		proc.exit = describeExit(cmd.ProcessState, err)
		close(proc.done)
	}()
	d := &doorProcess{env: env, socket: sock, token: token, proc: proc}
	deadline := time.Now().Add(doorStartTimeout)
	for {
		d.mu.Lock()
		err := d.connectLocked(ctx)
		d.mu.Unlock()
		if err == nil {
			return d, nil
		}
		if done, how := proc.exited(); done {
			return nil, fmt.Errorf("front door process of %s %s before it answered; see %s: %s", env, how, logPath, lastLogLines(logPath, logTailLines))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			proc.terminate(context.WithoutCancel(ctx), time.Second)
			return nil, fmt.Errorf("front door process of %s did not answer within %s: %w; see %s", env, doorStartTimeout, err, logPath)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// doorSocket is the control socket of env's front-door process: in the
// data directory when its path fits a unix socket address, else in a
// directory of the user's own under the temp dir.
func (p *Provider) doorSocket(env string) (string, error) {
	dir, err := filepath.Abs(p.cfg.DataDir)
	if err != nil {
		return "", err
	}
	if path := filepath.Join(dir, "frontdoor-"+env+".sock"); len(path) < 100 {
		return path, nil
	}
	short := filepath.Join(os.TempDir(), fmt.Sprintf("gennaker-%d", os.Getuid()))
	if err := os.MkdirAll(short, dirMode); err != nil {
		return "", fmt.Errorf("front door socket directory: %w", err)
	}
	sum := sha256.Sum256([]byte(dir + "\x00" + env))
	return filepath.Join(short, hex.EncodeToString(sum[:10])+".sock"), nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// adoptDoors adopts the recorded front-door processes of the environments
// in envs (starting new ones where they are gone) and stops the others.
func (p *Provider) adoptDoors(ctx context.Context, envs map[string]bool) error {
	p.mu.Lock()
	var recs []doorRecord
	for env, rec := range p.doorRecs {
		if !envs[env] {
			delete(p.doorRecs, env)
			recs = append(recs, rec)
		}
	}
	var adopt []string
	for env := range p.doorRecs {
		adopt = append(adopt, env)
	}
	p.mu.Unlock()
	for _, rec := range recs {
		if alive(rec.PID, rec.StartTime) {
			p.log.Info("stopping the front door process of an environment with nothing to run", "environment", rec.Environment, "pid", rec.PID)
			(&process{pid: rec.PID, startTime: rec.StartTime, adopted: true}).terminate(ctx, p.cfg.GracePeriod)
		}
	}
	var errs []error
	for _, env := range adopt {
		if _, err := p.ensureDoor(ctx, env); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, p.saveState())...)
}

// stopDoors stops every front-door process: asked over its socket, then
// SIGTERM and SIGKILL if it lingers.
func (p *Provider) stopDoors(ctx context.Context) error {
	p.doorOps.Lock()
	defer p.doorOps.Unlock()
	p.mu.Lock()
	doors := p.doors
	recs := p.doorRecs
	p.doors, p.doorRecs = map[string]*doorProcess{}, map[string]doorRecord{}
	p.mu.Unlock()
	for _, d := range doors {
		p.stopDoorProcess(ctx, d)
	}
	for _, rec := range recs {
		if alive(rec.PID, rec.StartTime) {
			(&process{pid: rec.PID, startTime: rec.StartTime, adopted: true}).terminate(ctx, p.cfg.GracePeriod)
		}
	}
	return p.saveState()
}

// stopDoorProcess asks d's process to stop (it drains its front doors),
// ends it when it does not within the drain grace, and forgets the
// connection to it.
func (p *Provider) stopDoorProcess(ctx context.Context, d *doorProcess) {
	d.mu.Lock()
	d.stopping = true
	d.mu.Unlock()
	sctx, cancel := context.WithTimeout(ctx, doorCallTimeout)
	_, err := d.call(sctx, func() doorRequest { return doorRequest{Op: opStop} })
	cancel()
	if err != nil || !d.proc.waitExit(ctx, doorDrainGrace+time.Second) {
		d.proc.terminate(ctx, p.cfg.GracePeriod)
	}
	d.disconnect()
	p.log.Info("front door process stopped", "environment", d.env, "pid", d.proc.pid)
}
