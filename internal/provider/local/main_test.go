package local

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/sampleservice"
)

// TestMain turns the test binary into the sample service when
// GENNAKER_TEST_SAMPLE=1, so tests run real instances of it.
func TestMain(m *testing.M) {
	MaybeServeFrontDoor() // providers run their front doors with this binary
	if os.Getenv("GENNAKER_TEST_SAMPLE") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
		cfg, err := sampleservice.ConfigFromEnv()
		if err == nil {
			err = sampleservice.Run(ctx, cfg, logger)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var portBase atomic.Int32

// newTestProvider gives each test its own data dir and port range, and
// destroys everything it started when the test ends.
func newTestProvider(t testing.TB, dir string) *Provider {
	t.Helper()
	return newTestProviderWith(t, Config{DataDir: dir})
}

// newTestProviderWith is newTestProvider with cfg's other fields.
func newTestProviderWith(t testing.TB, cfg Config) *Provider {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	base := 21000 + int(portBase.Add(1))*200
	cfg.Logger, cfg.PortMin, cfg.PortMax, cfg.GracePeriod = slog.New(slog.DiscardHandler), base, base+199, 2*time.Second
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return p
}

func sampleSpec(t testing.TB, name, version string, instances int, env map[string]string) ServerGroupSpec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return ServerGroupSpec{
		Name: name, Application: "checkout", Environment: "test", Version: version, Instances: instances,
		Run:         model.RunSpec{Command: exe, Env: model.InlineMap(map[string]string{"GENNAKER_TEST_SAMPLE": "1"})},
		Env:         env,
		HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(200 * time.Millisecond), Timeout: model.Duration(time.Second), StartupTimeout: model.Duration(15 * time.Second)},
	}
}

func ensureHealthy(t testing.TB, p *Provider, spec ServerGroupSpec) {
	t.Helper()
	ctx := t.Context()
	if err := p.EnsureServerGroup(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitHealthy(ctx, spec.Ref()); err != nil {
		t.Fatal(err)
	}
}

func pids(t testing.TB, p *Provider, ref GroupRef) []int {
	t.Helper()
	h, err := p.Health(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, in := range h.Instances {
		out = append(out, in.PID)
	}
	return out
}

func procExists(pid int) bool {
	_, _, err := procStat(pid)
	if err != nil {
		return false
	}
	_, state, _ := procStat(pid)
	return state != 'Z'
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t testing.TB, client *http.Client, url string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}
