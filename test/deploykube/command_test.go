package deploykube

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/gennaker/gennaker/test/testserver"
)

// TestContainerCommand runs the example overlay's container command with the
// real binary, as the kubelet would (its arguments, its working directory,
// GENNAKER_STORE set, HOME unwritable), listening on a free loopback port
// instead of 0.0.0.0: every flag must be one the server has, and every
// probe's path must answer 200 to the Host a kubelet sends (the pod's IP).
func TestContainerCommand(t *testing.T) {
	objs := byKind(t, render(t, exampleDir))
	d := convert[appsv1.Deployment](t, objs.get(t, "Deployment"))
	c := container(t, d)

	// The container's filesystem: only its volumes are writable.
	root := t.TempDir()
	work := filepath.Join(root, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	if c.WorkingDir == "" || !mountedAt(c, c.WorkingDir) {
		t.Errorf("workingDir %q is not on a volume: with a read-only root the server cannot write its data directory", c.WorkingDir)
	}

	addr := testserver.FreeAddr(t)
	args := withFlag(c.Args, "--addr", addr)
	if c.Command[0] != "gennaker" {
		t.Fatalf("command %q: the test runs the gennaker binary", c.Command)
	}
	cmd := exec.Command(exe, append(slices.Clone(c.Command[1:]), args...)...)
	cmd.Dir = work
	// A store the test can run: the same variable, a SQLite data directory.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent", "TMPDIR=" + root,
		storeEnv + "=sqlite://" + filepath.Join(work, ".gennaker")}
	logPath := filepath.Join(root, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed once the process is gone; waitErr says how
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	serverLog := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Errorf("the server did not stop within 30s of SIGTERM")
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	probes := map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe}
	deadline := time.Now().Add(30 * time.Second)
	for name, p := range probes {
		if p == nil || p.HTTPGet == nil {
			continue
		}
		for {
			code, err := probe(t.Context(), "http://"+addr+p.HTTPGet.Path, "10.244.0.7:"+p.HTTPGet.Port.String())
			if err == nil && code == http.StatusOK {
				break
			}
			select {
			case <-exited:
				t.Fatalf("the server exited (%v) running %q %q; its log:\n%s", waitErr, c.Command, args, serverLog())
			default:
			}
			if err == nil {
				t.Fatalf("%s probe GET %s answered %d, want 200; the server's log:\n%s", name, p.HTTPGet.Path, code, serverLog())
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s probe GET %s: %v after 30s; the server's log:\n%s", name, p.HTTPGet.Path, err, serverLog())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// The names the overlay allows are served too (an in-cluster client of
	// the Service).
	if host, ok := flagValue(args, "--allowed-host"); ok {
		if code, err := probe(t.Context(), "http://"+addr+healthPath, host+":7070"); err != nil || code != http.StatusOK {
			t.Errorf("GET %s with Host %s: %d, %v; want 200", healthPath, host, code, err)
		}
	}
	// The server wrote nothing outside its working directory (HOME is not
	// writable; --cli-config=- writes no credentials file).
	if _, err := os.Stat(filepath.Join(work, ".gennaker")); err != nil {
		t.Errorf("no data directory in the working directory: %v", err)
	}
}

// probe is a kubelet's HTTP GET: the given Host header, no credentials.
func probe(ctx context.Context, url, host string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// mountedAt reports whether dir is a volume mount of c, or under one.
func mountedAt(c corev1.Container, dir string) bool {
	for _, m := range c.VolumeMounts {
		if rel, err := filepath.Rel(m.MountPath, dir); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}
