// Package promenv starts a real Prometheus server for integration tests: it
// scrapes the targets listed in a file_sd file (the local provider writes
// one per data directory) every second.
package promenv

import (
	"encoding/json"
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

// Env is a running Prometheus.
type Env struct {
	// URL is the server's address, e.g. http://127.0.0.1:41234.
	URL string
	// TargetsFile is the file_sd file it scrapes.
	TargetsFile string
}

// Start runs Prometheus scraping targetsFile (created empty if missing)
// every second, and stops it when the test ends. Without the prometheus
// binary the test is skipped, or fails when GENNAKER_REQUIRE_ALL=1 (as under
// `make test`).
func Start(t testing.TB, targetsFile string) *Env {
	t.Helper()
	if _, err := exec.LookPath("prometheus"); err != nil {
		testenv.Missing(t, errors.New("prometheus is not installed: run scripts/test-deps.sh (apt-get install prometheus)"))
	}
	dir := t.TempDir()
	if targetsFile == "" {
		targetsFile = filepath.Join(dir, "targets.json")
	}
	if _, err := os.Stat(targetsFile); os.IsNotExist(err) {
		if err := os.MkdirAll(filepath.Dir(targetsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(targetsFile, []byte("[]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gennaker
    scrape_interval: 1s
    scrape_timeout: 900ms
    file_sd_configs:
      - files: [%q]
        refresh_interval: 1s
`, targetsFile)
	url := Run(t, Process{Config: cfg, TSDB: filepath.Join(dir, "data"), Retention: "1h"})
	return &Env{URL: url, TargetsFile: targetsFile}
}

// Process is one Prometheus to run: its configuration file's text, its
// TSDB directory ("" for one in a temporary directory) and how long it
// keeps samples (default 1h).
type Process struct {
	Config    string
	TSDB      string
	Retention string
}

// Run starts Prometheus as p says, on a free loopback address, waits until
// it is ready and returns its URL; it stops when the test ends, and its log
// is printed if the test failed. Without the prometheus binary the test is
// skipped, or fails under GENNAKER_REQUIRE_ALL=1.
func Run(t testing.TB, p Process) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		testenv.Missing(t, errors.New("prometheus is not installed: run scripts/test-deps.sh (apt-get install prometheus)"))
	}
	dir := t.TempDir()
	if p.TSDB == "" {
		p.TSDB = filepath.Join(dir, "data")
	}
	if p.Retention == "" {
		p.Retention = "1h"
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(p.Config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := testserver.FreeAddr(t)
	logPath := filepath.Join(dir, "prometheus.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+p.TSDB,
		"--web.listen-address="+addr, "--storage.tsdb.retention.time="+p.Retention, "--log.level=warn")
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
			t.Fatal("prometheus was not ready within 30s")
		}
	}
}

// WaitTargets waits until n targets are up (scraped at least once).
// Prometheus applies newly discovered targets up to ~5s after it reads them.
func (e *Env) WaitTargets(t testing.TB, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(e.URL + "/api/v1/targets?state=active")
		if err == nil {
			var body struct {
				Data struct {
					ActiveTargets []struct {
						Health string `json:"health"`
					} `json:"activeTargets"`
				} `json:"data"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			up := 0
			for _, tg := range body.Data.ActiveTargets {
				if tg.Health == "up" {
					up++
				}
			}
			if up >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus did not scrape %d targets within %s", n, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
