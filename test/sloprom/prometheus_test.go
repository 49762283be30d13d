package sloprom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/test/internal/testenv"
	"github.com/gennaker/gennaker/test/testserver"
)

// tool finds a Prometheus binary, skipping the test without it (failing
// under GENNAKER_REQUIRE_ALL=1).
func tool(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		testenv.Missing(t, fmt.Errorf("%s is not installed: run scripts/test-deps.sh (apt-get install prometheus)", name))
	}
	return bin
}

// run runs a command, failing the test with its output when it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// backfill turns the month into a TSDB directory with promtool.
func backfill(t *testing.T, mo *month, dir string) string {
	t.Helper()
	promtool := tool(t, "promtool")
	om := filepath.Join(dir, "month.om")
	if err := mo.writeOpenMetrics(om); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	run(t, promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=768h", om, data)
	os.Remove(om)
	return data
}

// startPrometheus serves the TSDB in data and evaluates rulesFile; it
// stops when the test ends.
func startPrometheus(t *testing.T, data, rulesFile string) string {
	t.Helper()
	bin := tool(t, "prometheus")
	dir := filepath.Dir(data)
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("global:\n  evaluation_interval: 1m\nrule_files: [%q]\n", rulesFile)), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := testserver.FreeAddr(t)
	logPath := filepath.Join(dir, "prometheus.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+data, "--web.listen-address="+addr,
		"--storage.tsdb.retention.time=10y", "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("prometheus log:\n%s", b)
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("prometheus exited (%v):\n%s", err, strings.TrimSpace(string(b)))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal(errors.New("prometheus was not ready within 30s"))
		}
	}
}

// version is the installed Prometheus's version line.
func version(t *testing.T) string {
	out := run(t, tool(t, "prometheus"), "--version")
	line, _, _ := strings.Cut(out, "\n")
	return line
}

var _ = context.Background
