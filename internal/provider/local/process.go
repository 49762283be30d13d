package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// process is one running instance: either our child (we can Wait for it) or
// a process adopted after a restart (we can only poll it).
type process struct {
	pid       int
	startTime uint64 // /proc/<pid>/stat field 22, guards against pid reuse
	adopted   bool
	// done is closed when a child exits; nil for adopted processes.
	done chan struct{}
	// exit describes how a child ended, and signal is the signal that
	// killed it (0 when it exited); read only after done is closed.
	exit   string
	signal syscall.Signal
}

// spawn starts one instance in its own process group with its output
// appended to logPath. inherit and secrets are as command takes them.
func spawn(inherit []string, secrets map[string]string, spec ServerGroupSpec, index, port int, logPath, marker string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, logFileMode)
	if err != nil {
		return nil, fmt.Errorf("open instance log: %w", err)
	}
	defer f.Close()
	name, args, env, err := spec.command(inherit, secrets, index, port)
	if err != nil {
		fmt.Fprintf(f, "%s %s instance %d cannot start: %v\n", logMarker, spec.Name, index, err)
		return nil, err
	}
	fmt.Fprintf(f, "%s %s instance %d starting on port %d at %s\n", logMarker, spec.Name, index, port, time.Now().Format(time.RFC3339))
	cmd := exec.Command(name, args...)
	cmd.Dir = spec.Run.Dir
	cmd.Env = append(env, marker)
	// Files, not pipes: the instance must keep writing after gennaker dies.
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group: a Ctrl-C to gennaker does not reach it, and
	// stopping the group also stops whatever the instance started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(f, "%s cannot start %q: %v\n", logMarker, name, err)
		return nil, fmt.Errorf("cannot start %q: %w (check run.command and run.dir)", name, err)
	}
	p := &process{pid: cmd.Process.Pid, done: make(chan struct{})}
	p.startTime, _ = procStartTime(p.pid)
	go func() {
		err := cmd.Wait()
		p.exit = describeExit(cmd.ProcessState, err)
		if ws, ok := exitStatus(cmd.ProcessState); ok && ws.Signaled() {
			p.signal = ws.Signal()
		}
		close(p.done)
	}()
	return p, nil
}

// logMarker starts the lines gennaker itself writes into instance logs.
const logMarker = "--- gennaker:"

func describeExit(ps *os.ProcessState, err error) string {
	if ps == nil {
		return fmt.Sprintf("exited: %v", err)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("was killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	return fmt.Sprintf("exited with status %d", ps.ExitCode())
}

// exitStatus is the wait status of an ended child, false when unknown.
func exitStatus(ps *os.ProcessState) (syscall.WaitStatus, bool) {
	if ps == nil {
		return 0, false
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ws, ok
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, string) {
	if !p.adopted {
		select {
		case <-p.done:
			return true, p.exit
		default:
			return false, ""
		}
	}
	if alive(p.pid, p.startTime) {
		return false, ""
	}
	return true, "exited (adopted process, exit status unknown)"
}

// terminate stops the process group: SIGTERM, then SIGKILL after grace.
func (p *process) terminate(ctx context.Context, grace time.Duration) {
	if done, _ := p.exited(); done {
		_ = syscall.Kill(-p.pid, syscall.SIGKILL) // leftovers of the group, if any
		return
	}
	if p.adopted && !alive(p.pid, p.startTime) {
		return
	}
	_ = syscall.Kill(-p.pid, syscall.SIGTERM)
	if p.waitExit(ctx, grace) {
		return
	}
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	p.waitExit(context.WithoutCancel(ctx), 5*time.Second)
}

// waitExit waits up to d for the process to end. A child of this server
// says so (p.done); one adopted from a previous server is not this
// process's child, so only polling its pid (every 20 ms, while stopping it)
// tells.
func (p *process) waitExit(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	var tick <-chan time.Time
	if p.done == nil {
		poll := time.NewTicker(20 * time.Millisecond)
		defer poll.Stop()
		tick = poll.C
	}
	for {
		if done, _ := p.exited(); done {
			return true
		}
		select {
		case <-p.done: // nil for adopted processes: never ready
		case <-tick:
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// alive reports whether pid runs and is the same process that started at
// startTime (not a zombie, not a new process that reused the pid).
func alive(pid int, startTime uint64) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	st, state, err := procStat(pid)
	return err == nil && st == startTime && state != 'Z' && state != 'X'
}

// procStartTime returns field 22 of /proc/<pid>/stat (start time in clock ticks since boot).
func procStartTime(pid int) (uint64, error) {
	st, _, err := procStat(pid)
	return st, err
}

func procStat(pid int) (startTime uint64, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, 0, fmt.Errorf("cannot parse /proc/%d/stat", pid)
	}
	fields := bytes.Fields(b[i+2:]) // fields[0] is field 3 (state)
	if len(fields) < 20 {
		return 0, 0, fmt.Errorf("cannot parse /proc/%d/stat: %d fields", pid, len(fields)+2)
	}
	startTime, err = strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("cannot parse start time in /proc/%d/stat: %w", pid, err)
	}
	return startTime, fields[0][0], nil
}
