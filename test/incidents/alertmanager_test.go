package incidents

import (
	"bytes"
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

// alertmanagerBin is where Debian's prometheus-alertmanager installs it.
const alertmanagerBin = "/usr/bin/prometheus-alertmanager"

// alertmanager is a running Alertmanager.
type alertmanager struct {
	URL string
}

// startAlertmanager runs a real Alertmanager on 127.0.0.1 whose one
// receiver is gennaker's webhook at hookURL, authenticated with the token
// in tokenFile, as docs/kpis.md tells users to configure it. Without the
// binary the test is skipped, or fails when GENNAKER_REQUIRE_ALL=1.
func startAlertmanager(t *testing.T, hookURL, tokenFile string) *alertmanager {
	t.Helper()
	bin := alertmanagerBin
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("prometheus-alertmanager"); err != nil {
			testenv.Missing(t, errors.New("prometheus-alertmanager is not installed: run scripts/test-deps.sh (apt-get install prometheus-alertmanager)"))
		}
	}
	dir := t.TempDir()
	// The receiver's YAML is the one of docs/kpis.md, with short waits.
	cfg := fmt.Sprintf(`route:
  receiver: gennaker
  group_by: [alertname, application, environment]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: gennaker
    webhook_configs:
      - url: %s
        send_resolved: true
        max_alerts: 1000
        http_config:
          authorization:
            type: Bearer
            credentials_file: %s
`, hookURL, tokenFile)
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testserver.FreeAddr(t)
	logPath := filepath.Join(dir, "alertmanager.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=debug")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting alertmanager: %v", err)
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
			t.Logf("alertmanager log:\n%s", b)
		}
	})
	am := &alertmanager{URL: "http://" + addr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(am.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return am
			}
		}
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("alertmanager exited (%v):\n%s", err, strings.TrimSpace(string(b)))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("alertmanager was not ready within 30s")
		}
	}
}

// postableAlert is an alert of Alertmanager's API v2 (POST /api/v2/alerts).
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// push sends alerts to Alertmanager as Prometheus does.
func (am *alertmanager) push(t *testing.T, alerts ...postableAlert) {
	t.Helper()
	body, err := json.Marshal(alerts)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", resp.Status)
	}
}
