package crash

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

	"github.com/gennaker/gennaker/test/testserver"
)

// serverProc is a gennaker server process that the test kills and restarts
// on the same store (a data directory, or a PostgreSQL database) and address.
type serverProc struct {
	t       *testing.T
	kind    testserver.StoreKind
	dataDir string
	store   []string // the server's arguments naming its store
	addr    string
	logPath string
	cmd     *exec.Cmd
	starts  int
	waited  chan struct{}
}

func newServerProc(t *testing.T, kind testserver.StoreKind) *serverProc {
	t.Helper()
	dir := t.TempDir()
	return &serverProc{t: t, kind: kind, dataDir: dir + "/data", store: testserver.StoreArgs(t, kind, dir+"/data"),
		addr: testserver.FreeAddr(t), logPath: dir + "/server.log"}
}

// onEachStore runs test as subtests named by store kind, one after the
// other (the package's tests bound how soon a restarted server resumes).
func onEachStore(t *testing.T, test func(*testing.T, testserver.StoreKind)) {
	for _, kind := range testserver.StoreKinds {
		t.Run(string(kind), func(t *testing.T) { test(t, kind) })
	}
}

// URL is the server's API base URL; it stays the same across restarts.
func (s *serverProc) URL() string { return "http://" + s.addr }

// start runs the server and waits until /healthz answers.
func (s *serverProc) start() {
	s.t.Helper()
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	s.starts++
	offset, _ := logf.Seek(0, io.SeekEnd)
	fmt.Fprintf(logf, "\n===== crash test: start #%d at %s =====\n", s.starts, time.Now().Format(time.RFC3339Nano))
	args := append([]string{"server"}, s.store...)
	cmd := exec.Command(binary, append(args, "--addr", s.addr, "--cli-config", s.dataDir+".cli.yaml")...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.t.Fatalf("starting gennaker server: %v", err)
	}
	s.cmd = cmd
	s.waited = make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); logf.Close(); close(done) }(s.waited)
	began := time.Now()
	// Wait for this process to say it listens, so /healthz cannot be
	// answered by some other process that took the port meanwhile.
	if err := waitLogLine(s.logPath, offset, `msg="gennaker server ready"`, 15*time.Second, s.waited); err != nil {
		s.dumpLog()
		s.t.Fatalf("server start #%d: %v", s.starts, err)
	}
	if err := waitHealthy(s.URL(), 15*time.Second, s.waited); err != nil {
		s.dumpLog()
		s.t.Fatalf("server start #%d: %v", s.starts, err)
	}
	s.t.Logf("server start #%d healthy after %s (pid %d)", s.starts, time.Since(began).Round(time.Millisecond), cmd.Process.Pid)
}

// token is the admin token the server wrote for the local user (the same
// across restarts on one store and address).
func (s *serverProc) token() string {
	s.t.Helper()
	return testserver.AdminToken(s.t, s.dataDir+".cli.yaml", s.URL())
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *serverProc) kill() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.waited
	s.cmd = nil
}

// stop ends the server gracefully (SIGTERM), for cleanup.
func (s *serverProc) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.waited:
	case <-time.After(10 * time.Second):
		s.kill()
	}
	s.cmd = nil
}

// dumpLog prints the server's stderr of all starts into the test log.
func (s *serverProc) dumpLog() {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		s.t.Logf("no server log: %v", err)
		return
	}
	text := string(b)
	const max = 200_000
	if len(text) > max {
		text = "…(start cut)…\n" + text[len(text)-max:]
	}
	s.t.Logf("server log (%s):\n%s", s.logPath, text)
}

// grepLog returns the log lines containing any of the words.
func (s *serverProc) grepLog(words ...string) []string {
	b, _ := os.ReadFile(s.logPath)
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
