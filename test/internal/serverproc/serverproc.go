// Package serverproc runs a `gennaker server` process that a test kills
// with SIGKILL and starts again with the same arguments, on the same
// address: the crash and HA suites' server under fire.
package serverproc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readyMessage is what the server logs once it listens.
const readyMessage = `msg="gennaker server ready"`

// Proc is one server process, started and killed by the test. All starts
// append to one log file.
type Proc struct {
	// Name is how the test's log names this server ("replica a", say).
	Name string
	// Exe and Args run the server: Args follow "server" and must hold
	// --addr Addr.
	Exe  string
	Args []string
	// Addr is the server's host:port, the same across restarts.
	Addr    string
	LogPath string

	t      testing.TB
	cmd    *exec.Cmd
	starts int
	waited chan struct{}
}

// New returns a stopped server that Start runs; it is stopped (SIGTERM)
// when the test ends, and its log goes into a failed test's log.
func New(t testing.TB, name, exe, addr, logPath string, args ...string) *Proc {
	p := &Proc{Name: name, Exe: exe, Args: args, Addr: addr, LogPath: logPath, t: t}
	t.Cleanup(func() {
		if t.Failed() {
			p.DumpLog()
		}
		p.Stop()
	})
	return p
}

// URL is the server's API base URL; it stays the same across restarts.
func (p *Proc) URL() string { return "http://" + p.Addr }

// Starts counts the starts so far.
func (p *Proc) Starts() int { return p.starts }

// Running reports whether the process was started and not killed or stopped.
func (p *Proc) Running() bool { return p.cmd != nil }

// Start runs the server and waits until it logs that it is ready and
// /healthz answers 200.
func (p *Proc) Start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.starts++
	offset, _ := logf.Seek(0, io.SeekEnd)
	fmt.Fprintf(logf, "\n===== %s: start #%d at %s =====\n", p.Name, p.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.Exe, append([]string{"server"}, p.Args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		p.t.Fatalf("starting %s: %v", p.Name, err)
	}
	p.cmd = cmd
	p.waited = make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); logf.Close(); close(done) }(p.waited)
	began := time.Now()
	// Wait for this process to say it listens, so /healthz cannot be
	// answered by some other process that took the port meanwhile.
	if err := waitLogLine(p.LogPath, offset, readyMessage, 20*time.Second, p.waited); err != nil {
		p.DumpLog()
		p.t.Fatalf("%s start #%d: %v", p.Name, p.starts, err)
	}
	if err := waitHealthy(p.URL(), 15*time.Second, p.waited); err != nil {
		p.DumpLog()
		p.t.Fatalf("%s start #%d: %v", p.Name, p.starts, err)
	}
	p.t.Logf("%s start #%d healthy after %s (pid %d)", p.Name, p.starts, time.Since(began).Round(time.Millisecond), cmd.Process.Pid)
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.waited
	p.cmd = nil
}

// Stop ends the server gracefully (SIGTERM), or kills it after 10 s.
func (p *Proc) Stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.waited:
	case <-time.After(10 * time.Second):
		p.Kill()
	}
	p.cmd = nil
}

// DumpLog prints the log of all starts (its last 200 KB) into the test log.
func (p *Proc) DumpLog() {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		p.t.Logf("no log of %s: %v", p.Name, err)
		return
	}
	text := string(b)
	const max = 200_000
	if len(text) > max {
		text = "…(start cut)…\n" + text[len(text)-max:]
	}
	p.t.Logf("%s log (%s):\n%s", p.Name, p.LogPath, text)
}

// GrepLog returns the log lines containing any of the words.
func (p *Proc) GrepLog(words ...string) []string {
	b, _ := os.ReadFile(p.LogPath)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		for _, w := range words {
			if strings.Contains(line, w) {
				out = append(out, line)
				break
			}
		}
	}
	return out
}

func waitHealthy(base string, limit time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("the server exited before it was healthy")
		case <-ctx.Done():
			return fmt.Errorf("/healthz did not answer 200 within %s (last error: %v)", limit, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func waitLogLine(path string, offset int64, want string, limit time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(limit)
	for {
		b, err := os.ReadFile(path)
		if err == nil && int64(len(b)) > offset && strings.Contains(string(b[offset:]), want) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the server exited before logging %s", want)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server did not log %s within %s", want, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
