package security

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/cliconfig"
	"github.com/gennaker/gennaker/internal/client"
)

// server is one `gennaker server` process with its own data directory and
// CLI credentials file.
type server struct {
	t        *testing.T
	dir      string
	data     string
	base     string
	cliPath  string
	logPath  string
	cmd      *exec.Cmd
	exited   chan struct{}
	admin    *client.Client
	extraEnv []string
}

// startServer runs a server with env added to its environment and returns
// it once healthy, with a client holding the local admin's token.
func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	return startServerWith(t, nil, nil, env...)
}

// startServerWith also passes args to `gennaker server`; hc (nil: the
// default client) reaches its /healthz, and its scheme is https when the
// args include --tls-cert.
func startServerWith(t *testing.T, args []string, hc *http.Client, env ...string) *server {
	t.Helper()
	if hc == nil {
		hc = http.DefaultClient
	}
	dir := t.TempDir()
	s := &server{t: t, dir: dir, data: filepath.Join(dir, "data"), cliPath: filepath.Join(dir, "cli", "config.yaml"), logPath: filepath.Join(dir, "server.log"), extraEnv: env}
	addr := freeAddr(t)
	s.base = "http://" + addr
	for _, a := range args {
		if a == "--tls-cert" {
			s.base = "https://" + addr
		}
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(exe, append([]string{"server", "--data", s.data, "--addr", addr, "--destroy-on-exit"}, args...)...)
	s.cmd.Env = append(append(os.Environ(), "GENNAKER_CONFIG="+s.cliPath), env...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); logf.Close(); close(s.exited) }()
	t.Cleanup(s.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := hc.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-s.exited:
			t.Fatalf("the server exited; its log:\n%s", s.log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not answer within 20s; its log:\n%s", s.log())
		}
	}
	f, err := cliconfig.Load(s.cliPath)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := f.ForServer(s.base)
	if !ok {
		t.Fatalf("the server wrote no CLI credential to %s", s.cliPath)
	}
	s.admin = client.New(s.base, c.Token)
	s.admin.HTTP.Timeout = 15 * time.Second
	return s
}

func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
	if s.t.Failed() {
		s.t.Logf("server log:\n%s", s.log())
	}
}

func (s *server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// raw sends a request built by the caller and returns status, headers and body.
func raw(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	c := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func newRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func localUser(t *testing.T) string {
	t.Helper()
	u := os.Getenv("USER")
	if u == "" {
		u = "root"
	}
	return u
}
