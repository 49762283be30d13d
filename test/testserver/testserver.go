// Package testserver runs the gennaker binary under test for the
// integration suites under test/: it builds the binary once per test binary
// (Main), picks free loopback addresses, starts `gennaker server` on a data
// directory of its own (Start) and reads the admin token the server wrote
// for the local user to its CLI credentials file (AdminToken).
//
//	var exe string
//
//	func TestMain(m *testing.M) { testserver.Main(m, &exe) }
//
//	func TestSomething(t *testing.T) {
//		s := testserver.Start(t, exe, testserver.Options{})
//		admin := s.Admin() // a client with the local admin's token
//	}
package testserver

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/cliconfig"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/test/pgenv"
)

// Main is a TestMain for the suites that run the gennaker binary: it sets
// *exe to $GENNAKER_TEST_BIN (an absolute path to a prebuilt binary, e.g. of
// a clean checkout while the tree is being edited) or to ./cmd/gennaker
// built into a temporary directory, runs the tests (stopping the shared
// PostgreSQL server of StoreArgs, if one started), removes the directory
// and exits with the tests' code.
func Main(m *testing.M, exe *string) {
	os.Exit(run(m, exe))
}

func run(m *testing.M, exe *string) int {
	if bin := os.Getenv("GENNAKER_TEST_BIN"); bin != "" {
		*exe = bin
		return pgenv.RunShared(m)
	}
	dir, err := os.MkdirTemp("", "gennaker-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		return 2
	}
	defer os.RemoveAll(dir)
	*exe = filepath.Join(dir, "gennaker")
	build := exec.Command("go", "build", "-o", *exe, "github.com/gennaker/gennaker/cmd/gennaker")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "testserver: building gennaker: %v (run the tests inside the module, or set GENNAKER_TEST_BIN to a built binary)\n", err)
		return 2
	}
	return pgenv.RunShared(m)
}

// FreeAddr returns a loopback address with a port nobody listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// ReadAdminToken returns the API token the server at url wrote for the
// local user to the CLI credentials file at path.
func ReadAdminToken(path, url string) (string, error) {
	f, err := cliconfig.Load(path)
	if err != nil {
		return "", err
	}
	c, ok := f.ForServer(url)
	if !ok || c.Token == "" {
		return "", fmt.Errorf("the server at %s wrote no CLI credential to %s", url, path)
	}
	return c.Token, nil
}

// AdminToken is ReadAdminToken that fails the test.
func AdminToken(t testing.TB, path, url string) string {
	t.Helper()
	token, err := ReadAdminToken(path, url)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// Options say how Start runs the server; the zero value is a plain HTTP
// server on a free port.
type Options struct {
	// Addr is the address to listen on; "" picks a free one.
	Addr string
	// Args are more arguments to `gennaker server`; with --tls-cert the
	// server's URL is https://.
	Args []string
	// Env is added to the server's environment.
	Env []string
	// HTTPClient reaches /healthz once the server is ready (nil:
	// http.DefaultClient); over TLS it must trust the certificate.
	HTTPClient *http.Client
	// Store is where the server keeps its state ("": SQLite in Data).
	Store StoreKind
}

// Server is one `gennaker server --destroy-on-exit` process with its own
// data directory and CLI credentials file, stopped when the test ends.
type Server struct {
	// URL is http://Addr, or https://Addr with --tls-cert.
	URL  string
	Addr string
	// Data is the data directory (--data; the store itself on SQLite) and CLIConfig the credentials
	// file (--cli-config) the server writes the local admin's token to.
	Data, CLIConfig string
	// LogPath holds the server's stdout and stderr.
	LogPath string
	// Token is the local admin's API token.
	Token string

	t      testing.TB
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process is gone and its output written
}

// readyMessage is what the server logs once it listens and has written the
// local admin's credential.
const readyMessage = `msg="gennaker server ready"`

// Start runs exe as a server and returns it once it has logged that it is
// ready and answered /healthz; a server that exits or takes over 20 s
// fails the test with its log.
func Start(t testing.TB, exe string, o Options) *Server {
	t.Helper()
	dir := t.TempDir()
	if o.Addr == "" {
		o.Addr = FreeAddr(t)
	}
	s := &Server{
		URL: "http://" + o.Addr, Addr: o.Addr,
		Data: filepath.Join(dir, "data"), CLIConfig: filepath.Join(dir, "cli", "config.yaml"), LogPath: filepath.Join(dir, "server.log"),
		t: t, exited: make(chan struct{}),
	}
	if slices.Contains(o.Args, "--tls-cert") {
		s.URL = "https://" + o.Addr
	}
	logf, err := os.Create(s.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	// The server's output goes through a pipe so that its ready message is
	// an event to wait for rather than a file to poll.
	r, w, err := os.Pipe()
	if err != nil {
		logf.Close()
		t.Fatal(err)
	}
	args := append([]string{"server"}, StoreArgs(t, o.Store, s.Data)...)
	args = append(args, "--addr", o.Addr, "--cli-config", s.CLIConfig, "--destroy-on-exit")
	args = append(args, o.Args...)
	s.cmd = exec.Command(exe, args...)
	s.cmd.Env = append(os.Environ(), o.Env...)
	s.cmd.Stdout, s.cmd.Stderr = w, w
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = s.cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		logf.Close()
		t.Fatalf("starting %s server: %v", exe, err)
	}
	ready := &watcher{want: []byte(readyMessage), found: make(chan struct{})}
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(io.MultiWriter(logf, ready), r); r.Close(); logf.Close(); close(copied) }()
	go func() { _ = s.cmd.Wait(); <-copied; close(s.exited) }()
	t.Cleanup(s.Stop)

	select {
	case <-ready.found:
	case <-s.exited:
		t.Fatalf("the server exited before it was ready; its log:\n%s", s.Log())
	case <-time.After(20 * time.Second):
		t.Fatalf("the server did not log %s within 20s; its log:\n%s", readyMessage, s.Log())
	}
	s.Token = AdminToken(t, s.CLIConfig, s.URL)
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatalf("the server logged it was ready, then /healthz: %v; its log:\n%s", err, s.Log())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the server logged it was ready, then /healthz answered %s; its log:\n%s", resp.Status, s.Log())
	}
	return s
}

// Admin is a client of the server's API with the local admin's token.
func (s *Server) Admin() *client.Client {
	c := client.New(s.URL, s.Token)
	c.HTTP.Timeout = 15 * time.Second
	return c
}

// Stop ends the server with SIGTERM (with --destroy-on-exit it stops the
// instances it runs), or kills its process group after 30 s; the test's
// cleanup calls it too. The server's log goes into a failed test's log.
func (s *Server) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.t.Errorf("the server did not stop within 30s of SIGTERM; killing its process group")
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
	if s.t.Failed() {
		s.t.Logf("server log:\n%s", s.Log())
	}
}

// Log is what the server has written to stdout and stderr so far.
func (s *Server) Log() string {
	b, err := os.ReadFile(s.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return strings.TrimSpace(string(b))
}

// watcher closes found once the bytes written to it contain want.
type watcher struct {
	want  []byte
	tail  []byte // the last len(want)-1 bytes, for a match split across writes
	found chan struct{}
	done  bool
}

func (w *watcher) Write(p []byte) (int, error) {
	if w.done {
		return len(p), nil
	}
	buf := append(w.tail, p...)
	if bytes.Contains(buf, w.want) {
		w.done, w.tail = true, nil
		close(w.found)
		return len(p), nil
	}
	if keep := len(w.want) - 1; len(buf) > keep {
		buf = buf[len(buf)-keep:]
	}
	w.tail = append([]byte(nil), buf...)
	return len(p), nil
}

// NextPage is the path of a `Link: <PATH>; rel="next"` header (the API's
// next page of a list), or "" on the last page.
func NextPage(link string) string {
	path, ok := strings.CutPrefix(link, "<")
	if !ok {
		return ""
	}
	path, ok = strings.CutSuffix(path, `>; rel="next"`)
	if !ok {
		return ""
	}
	return path
}
