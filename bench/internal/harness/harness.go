// Package harness starts gennaker server processes for the benchmark
// programs under bench/: it builds the binary, picks a free port and a fresh
// data directory, and waits for /healthz.
package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gennaker/gennaker/internal/cliconfig"
)

// Binary returns path if set, else builds ./cmd/gennaker into dir and
// returns the built binary's path.
func Binary(path, dir string) (string, error) {
	if path != "" {
		return filepath.Abs(path)
	}
	out := filepath.Join(dir, "gennaker")
	cmd := exec.Command("go", "build", "-o", out, "github.com/gennaker/gennaker/cmd/gennaker")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building gennaker (run from inside the module, or pass -bin): %w", err)
	}
	return out, nil
}

// FreeAddr returns a loopback address with a port nobody listens on now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Server is a running gennaker server process.
type Server struct {
	Cmd     *exec.Cmd
	URL     string
	DataDir string
	// Started is when the process was started (just before fork/exec).
	Started time.Time
	log     *os.File
}

// Options configure Start.
type Options struct {
	Bin     string
	DataDir string // a fresh directory under TempDir when empty
	TempDir string
	Workers int // 0: the server's default
	Extra   []string
	// NoCLIConfig leaves out --cli-config, for binaries from before
	// authentication (they have no such flag and write no credential).
	NoCLIConfig bool
	// CPUs pins the server, and so every process it starts, to these
	// cores (taskset -c) when set.
	CPUs string
}

// Start starts a server process; it does not wait for it to be healthy.
func Start(o Options) (*Server, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	if o.DataDir == "" {
		if o.DataDir, err = os.MkdirTemp(o.TempDir, "data-"); err != nil {
			return nil, err
		}
	}
	args := []string{"server", "--data", o.DataDir, "--addr", addr}
	if !o.NoCLIConfig {
		args = append(args, "--cli-config", o.DataDir+".cli.yaml")
	}
	if o.Workers > 0 {
		args = append(args, "--workers", strconv.Itoa(o.Workers))
	}
	args = append(args, o.Extra...)
	logf, err := os.Create(filepath.Join(o.DataDir, "..", filepath.Base(o.DataDir)+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.Bin, args...)
	if o.CPUs != "" { // taskset execs the server: the process is the server's
		cmd = exec.Command("taskset", append([]string{"-c", o.CPUs, o.Bin}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s := &Server{Cmd: cmd, URL: "http://" + addr, DataDir: o.DataDir, log: logf}
	s.Started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	return s, nil
}

// WaitHealthy polls GET /healthz every interval until it answers 200 and
// returns the time from process start to that answer.
func (s *Server) WaitHealthy(ctx context.Context, interval time.Duration) (time.Duration, error) {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	exited := make(chan struct{})
	go func() {
		// ProcessState is only set after Wait; poll the pid instead.
		for {
			if err := s.Cmd.Process.Signal(syscall.Signal(0)); err != nil {
				close(exited)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		resp, err := c.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(s.Started), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("server %s not healthy: %w (log: %s)", s.URL, ctx.Err(), s.log.Name())
		case <-exited:
			return 0, fmt.Errorf("server exited before answering /healthz (log: %s)", s.log.Name())
		case <-t.C:
		}
	}
}

// Token returns the admin API token the server wrote for the local user
// (read once it is healthy).
func (s *Server) Token() (string, error) {
	f, err := cliconfig.Load(s.DataDir + ".cli.yaml")
	if err != nil {
		return "", err
	}
	c, ok := f.ForServer(s.URL)
	if !ok || c.Token == "" {
		return "", fmt.Errorf("server %s wrote no CLI credential (log: %s)", s.URL, s.log.Name())
	}
	return c.Token, nil
}

// Authorized is an http.RoundTripper that sends a bearer token with every request.
type Authorized struct {
	Token string
	Base  http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (a Authorized) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+a.Token)
	base := a.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// RSS returns the process's resident set size (VmRSS) in bytes.
func (s *Server) RSS() (int64, error) {
	return procStatusKB(s.Cmd.Process.Pid, "VmRSS:")
}

// HWM returns the process's peak resident set size (VmHWM) in bytes.
func (s *Server) HWM() (int64, error) {
	return procStatusKB(s.Cmd.Process.Pid, "VmHWM:")
}

// RSSParts splits the resident set: anonymous memory (RssAnon: the heap,
// stacks, runtime metadata) and file-backed pages (RssFile: the binary's
// own pages mapped in), in bytes.
func (s *Server) RSSParts() (anon, file int64, err error) {
	if anon, err = procStatusKB(s.Cmd.Process.Pid, "RssAnon:"); err != nil {
		return 0, 0, err
	}
	file, err = procStatusKB(s.Cmd.Process.Pid, "RssFile:")
	return anon, file, err
}

func procStatusKB(pid int, key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) < 1 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, key)
}

// Stop sends SIGTERM, waits up to 15s, then kills the process group.
func (s *Server) Stop() error {
	defer s.log.Close()
	_ = s.Cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.Cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil // signalled exit status is fine
		}
		return err
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-s.Cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return errors.New("server did not stop within 15s of SIGTERM; killed")
	}
}

// Median returns the median of xs (the mean of the middle two for even n).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// P90 returns the 90th percentile of xs by nearest rank (of 7 values, the
// 7th; of 10, the 9th).
func P90(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[(len(s)*9+9)/10-1]
}
