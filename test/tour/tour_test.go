package tour

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/test/testserver"
)

// exe is the gennaker binary under test, built once by TestMain.
var exe string

func TestMain(m *testing.M) { testserver.Main(m, &exe) }

// The README's fixed addresses are replaced by free ones, so the tour runs
// beside other servers on one machine.
const (
	readmeFrontDoor = "127.0.0.1:18080"
	readmeAPI       = "127.0.0.1:7070"
)

// TestReadmeTour runs the tour's commands as the README gives them, in a
// directory holding the repository's examples, and checks their output
// against the README's samples.
func TestReadmeTour(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := parseTour(string(readme))
	if len(sec.steps) < 10 {
		t.Fatalf("found %d commands in the README's tour: is the section still headed \"## A short tour\"?", len(sec.steps))
	}
	tr := newTourRun(t, sec)
	for i, s := range sec.steps {
		t.Logf("step %d: %s", i+1, s.cmd)
		tr.do(s, i+1 < len(sec.steps) && sec.steps[i+1].cmd == "echo $?")
		if t.Failed() {
			t.Fatalf("the tour stops at step %d (%s); the server's log:\n%s", i+1, s.cmd, tail(tr.serverLog.String(), 40))
		}
	}
	tr.checkCleanedUp()
}

// checkCleanedUp checks that the tour's clean-up left nothing running: no
// process of the server's data directory (instances, front doors) and the
// front door's address free.
func (tr *tourRun) checkCleanedUp() {
	tr.close()
	marker := []byte("GENNAKER_LOCAL_DATA=" + filepath.Join(tr.dir, ".gennaker"))
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, append(marker, 0)) {
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			tr.t.Errorf("process %s (%s) still runs after the tour's clean-up", e.Name(), bytes.ReplaceAll(cmdline, []byte{0}, []byte(" ")))
		}
	}
	ln, err := net.Listen("tcp", tr.frontDoor)
	if err != nil {
		tr.t.Errorf("the front door's address %s is still taken after the tour's clean-up: %v", tr.frontDoor, err)
		return
	}
	ln.Close()
}

// tourRun is the reader's shell: a working directory, the environment, the
// server and the loops started with &, and the watches following executions.
type tourRun struct {
	t                *testing.T
	dir, bin         string
	api, frontDoor   string
	env              []string
	execID, lastExit string
	serverLog        syncBuffer
	watches          []*watch
	stopTraffic      func()
}

// watch is a `--watch` command running in the reader's other terminal.
type watch struct {
	cmd  string
	want []string
	out  syncBuffer
	done chan error
}

func newTourRun(t *testing.T, sec section) *tourRun {
	tr := &tourRun{t: t, dir: t.TempDir(), bin: t.TempDir(), api: testserver.FreeAddr(t), frontDoor: testserver.FreeAddr(t)}
	if err := os.Symlink(exe, filepath.Join(tr.bin, "gennaker")); err != nil {
		t.Fatal(err)
	}
	tr.env = append(os.Environ(), "PATH="+tr.bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GENNAKER_SERVER=http://"+tr.api, "GENNAKER_CONFIG="+filepath.Join(tr.dir, "cli-config.yaml"), "HOME="+tr.dir)
	tr.env = slicesDeleteEnv(tr.env, "GENNAKER_TOKEN", "GENNAKER_CONTEXT")
	for _, ex := range []string{"quickstart", "judge"} {
		copyDir(t, filepath.Join("../../examples", ex), filepath.Join(tr.dir, "examples", ex), tr.frontDoor)
	}
	for name, content := range sec.files {
		if err := os.WriteFile(filepath.Join(tr.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(tr.close)
	return tr
}

var (
	serverCmd   = regexp.MustCompile(`^gennaker server (.*)&$`)
	trafficLoop = regexp.MustCompile(`^while true; do curl .*done &$`)
	goBuild     = regexp.MustCompile(`^CGO_ENABLED=0 go (build|install) `)
	anID        = regexp.MustCompile(`\b(\d{8}-\d{6}-[0-9a-f]+|ID)\b`)
	approveCmd  = regexp.MustCompile(`^gennaker approve `)
	startedID   = regexp.MustCompile(`execution (\S+) started`)
	waitingID   = regexp.MustCompile(`gennaker approve (\S+)`)
)

// do runs one step. exitShown says the README shows its exit status next
// (`echo $?`), so a non-zero one is not a failure.
func (tr *tourRun) do(s step, exitShown bool) {
	t := tr.t
	cmd := strings.ReplaceAll(s.cmd, readmeFrontDoor, tr.frontDoor)
	if tr.execID != "" {
		cmd = anID.ReplaceAllString(cmd, tr.execID)
	}
	switch {
	case goBuild.MatchString(cmd):
		t.Logf("  the binary under test stands in for the one the README builds")
	case serverCmd.MatchString(cmd):
		tr.startServer(serverCmd.FindStringSubmatch(cmd)[1])
	case trafficLoop.MatchString(cmd):
		tr.startTraffic()
	case strings.HasSuffix(cmd, " --watch"):
		tr.startWatch(cmd, s.want)
	case cmd == "echo $?":
		tr.check(s, tr.lastExit+"\n")
	case approveCmd.MatchString(cmd):
		tr.approve(cmd, s)
	default:
		tr.waitWatches()
		out, code := tr.sh(cmd)
		t.Logf("  exit %d:\n%s", code, out)
		tr.lastExit = fmt.Sprint(code)
		if code != 0 && !exitShown && len(s.want) == 0 {
			t.Errorf("%s: exit status %d:\n%s", cmd, code, out)
		}
		tr.check(s, out)
	}
}

// sh runs cmd as the reader's shell would and returns its output (stdout
// and stderr) and exit status.
func (tr *tourRun) sh(cmd string) (string, int) {
	ctx, cancel := context.WithTimeout(tr.t.Context(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Dir, c.Env = tr.dir, tr.env
	out, err := c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		tr.t.Fatalf("%s: %v", cmd, err)
	}
	return string(out), 0
}

func (tr *tourRun) check(s step, out string) {
	if miss := missing(s.want, out); len(miss) > 0 {
		tr.t.Errorf("%s: the output lacks lines shaped like the README's\n  %s\ngot:\n%s", s.cmd, strings.Join(miss, "\n  "), out)
	}
}

// startServer starts the server as the README does, on the free address.
func (tr *tourRun) startServer(args string) {
	c := exec.Command("sh", "-c", "exec gennaker server "+args+" --addr "+tr.api)
	c.Dir, c.Env = tr.dir, tr.env
	c.Stdout, c.Stderr = &tr.serverLog, &tr.serverLog
	if err := c.Start(); err != nil {
		tr.t.Fatal(err)
	}
	tr.t.Cleanup(func() {
		_ = c.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = c.Process.Kill()
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, code := tr.sh("gennaker whoami"); code == 0 {
			return
		}
		if time.Now().After(deadline) {
			tr.t.Fatalf("the server did not answer `gennaker whoami` within 30 s:\n%s", tr.serverLog.String())
		}
	}
}

// startTraffic is the README's curl loop: a request every 20 ms.
func (tr *tourRun) startTraffic() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		c := &http.Client{Timeout: 2 * time.Second}
		for ctx.Err() == nil {
			if resp, err := c.Get("http://" + tr.frontDoor + "/"); err == nil {
				resp.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	tr.stopTraffic = sync.OnceFunc(func() { cancel(); wg.Wait() })
}

// startWatch runs a --watch command in the background, as in another
// terminal, and remembers the execution it follows.
func (tr *tourRun) startWatch(cmd string, want []string) {
	w := &watch{cmd: cmd, want: want, done: make(chan error, 1)}
	c := exec.Command("sh", "-c", cmd)
	c.Dir, c.Env = tr.dir, tr.env
	c.Stdout, c.Stderr = &w.out, &w.out
	if err := c.Start(); err != nil {
		tr.t.Fatal(err)
	}
	go func() { w.done <- c.Wait() }()
	tr.watches = append(tr.watches, w)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		out := w.out.String()
		if m := startedID.FindStringSubmatch(out); m != nil {
			tr.execID = m[1]
			return
		}
		if m := waitingID.FindStringSubmatch(out); m != nil {
			tr.execID = m[1]
			return
		}
		if time.Now().After(deadline) {
			tr.t.Fatalf("%s named no execution within a minute:\n%s", cmd, out)
		}
	}
}

// approve approves once the execution waits for it, as the README says to
// (it watches for "waiting for approval"; an early approval is refused
// with "no stage is waiting").
func (tr *tourRun) approve(cmd string, s step) {
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		out, code := tr.sh(cmd)
		if code == 0 {
			tr.check(s, out)
			return
		}
		if !strings.Contains(out, "no stage is waiting") || time.Now().After(deadline) {
			tr.t.Fatalf("%s: exit status %d:\n%s", cmd, code, out)
		}
	}
}

// waitWatches waits for the watches to end, as the reader waits for the
// watch in the other terminal to finish, and checks their output.
func (tr *tourRun) waitWatches() {
	for _, w := range tr.watches {
		select {
		case err := <-w.done:
			if err != nil {
				tr.t.Errorf("%s: %v:\n%s", w.cmd, err, w.out.String())
			}
			tr.check(step{cmd: w.cmd, want: w.want}, w.out.String())
		case <-time.After(5 * time.Minute):
			tr.t.Fatalf("%s did not end within 5 minutes:\n%s", w.cmd, w.out.String())
		}
	}
	tr.watches = nil
}

func (tr *tourRun) close() {
	if tr.stopTraffic != nil {
		tr.stopTraffic()
	}
}

// copyDir copies an examples directory, with the README's front door
// address replaced by frontDoor.
func copyDir(t *testing.T, from, to, frontDoor string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte(readmeFrontDoor), []byte(frontDoor))
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func slicesDeleteEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
