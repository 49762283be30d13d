package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/test/testserver"
)

// markVar is put in every test server's environment with a value unique to
// the test, and passed on to its instances (--pass-env), so /proc tells which
// processes belong to which test.
const markVar = "GENNAKER_DEPLOY_TEST_MARK"

// rig is one test's world: a data dir (or a PostgreSQL database), an API
// port, a front-door port and the server process working on them.
type rig struct {
	t         *testing.T
	data      string
	store     []string // the server's arguments naming its store
	addr      string   // API listen address
	frontDoor string   // the sample application's front door
	mark      string
	c         *client.Client
	srv       *serverProc
	starts    int
}

// serverProc is one run of `gennaker server`.
type serverProc struct {
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{}
}

// newRig starts a server on a fresh data dir. Cleanup stops it with
// --destroy-on-exit and fails the test if any of its processes linger.
func newRig(t *testing.T) *rig { return newRigOn(t, testserver.SQLite) }

// newRigOn is newRig with the server's state in kind's store. On
// PostgreSQL the server refuses the local target: only Kubernetes
// environments deploy there.
func newRigOn(t *testing.T, kind testserver.StoreKind) *rig {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	r := &rig{t: t, data: t.TempDir(), addr: testserver.FreeAddr(t), frontDoor: testserver.FreeAddr(t), mark: hex.EncodeToString(b)}
	r.store = testserver.StoreArgs(t, kind, r.data)
	r.c = client.New("http://"+r.addr, "")
	r.c.HTTP.Timeout = 10 * time.Second
	t.Cleanup(r.teardown)
	r.start()
	return r
}

// start runs the server and waits until its API answers.
func (r *rig) start() {
	r.t.Helper()
	r.starts++
	logf, err := os.OpenFile(filepath.Join(r.data, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	fmt.Fprintf(logf, "=== test: server start #%d at %s\n", r.starts, time.Now().Format(time.RFC3339Nano))
	args := append([]string{"server"}, r.store...)
	args = append(args, "--addr", r.addr, "--cli-config", r.cliConfig(), "--destroy-on-exit", "--pass-env", markVar)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), markVar+"="+r.mark, "GENNAKER_CONFIG="+r.cliConfig())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		r.t.Fatalf("starting the server: %v", err)
	}
	s := &serverProc{cmd: cmd, started: time.Now(), exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(s.exited) }()
	r.srv = s
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + r.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			r.c.Token = testserver.AdminToken(r.t, r.cliConfig(), "http://"+r.addr)
			return
		}
		select {
		case <-s.exited:
			r.t.Fatalf("the server exited at start #%d; its log:\n%s", r.starts, r.serverLog())
		case <-time.After(20 * time.Millisecond):
		}
	}
	r.t.Fatalf("the server did not answer within 20s; its log:\n%s", r.serverLog())
}

// cliConfig is the CLI credentials file the server writes the local
// admin's token to (outside the data directory, as a user's would be).
func (r *rig) cliConfig() string { return r.data + ".cli.yaml" }

// kill9 kills the server with SIGKILL, leaving its instances running.
func (r *rig) kill9() {
	r.t.Helper()
	if err := r.srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		r.t.Fatalf("kill -9 server: %v", err)
	}
	<-r.srv.exited
}

// stop ends the server with SIGTERM; with --destroy-on-exit it stops every instance.
func (r *rig) stop() {
	if r.srv == nil {
		return
	}
	select {
	case <-r.srv.exited:
		return
	default:
	}
	_ = r.srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.srv.exited:
	case <-time.After(45 * time.Second):
		r.t.Errorf("the server did not stop within 45s of SIGTERM; killing it")
		_ = r.srv.cmd.Process.Kill()
		<-r.srv.exited
	}
}

func (r *rig) serverLog() string {
	b, _ := os.ReadFile(filepath.Join(r.data, "server.log"))
	const max = 8000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// teardown stops the server and makes sure nothing of this test still runs.
func (r *rig) teardown() {
	r.stop()
	deadline := time.Now().Add(5 * time.Second)
	var left map[int]procInfo
	for {
		left = r.procs()
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		r.t.Errorf("processes of this test still run after the server stopped with --destroy-on-exit: %v", left)
		for pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if r.t.Failed() {
		r.t.Logf("server log (tail):\n%s", r.serverLog())
	}
}

func (r *rig) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	r.t.Cleanup(cancel)
	return ctx
}
