package source_test

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"log/slog"

	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/sampleservice"
	"github.com/gennaker/gennaker/test/promenv"
)

// serveSample runs the sample service in-process and returns its address.
func serveSample(t *testing.T, version string, errorRate float64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sampleservice.Serve(ctx, ln, sampleservice.Config{Version: version, Instance: "0", ErrorRate: errorRate}, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

func TestPrometheusRangeQueryPerServerGroup(t *testing.T) {
	t.Parallel()

	base, canary := serveSample(t, "v1", 0), serveSample(t, "v2", 0.5)
	targets := []map[string]any{
		{"targets": []string{base}, "labels": map[string]string{"app": "shop", "env": "test", "server_group": "shop-v001", "version": "v1"}},
		{"targets": []string{canary}, "labels": map[string]string{"app": "shop", "env": "test", "server_group": "shop-v002", "version": "v2"}},
	}
	dir := t.TempDir()
	b, _ := json.Marshal(targets)
	if err := os.WriteFile(dir+"/targets.json", b, 0o644); err != nil {
		t.Fatal(err)
	}
	prom := promenv.Start(t, dir+"/targets.json")
	prom.WaitTargets(t, 2, 20*time.Second)

	// Real traffic to both, for a few scrapes.
	start := time.Now()
	stop := time.Now().Add(7 * time.Second)
	for time.Now().Before(stop) {
		for _, addr := range []string{base, canary} {
			resp, err := http.Get("http://" + addr + "/")
			if err == nil {
				resp.Body.Close()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let the last scrape land

	src, err := source.NewPrometheus(prom.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := `(sum(rate(sample_http_requests_total{server_group="{{serverGroup}}",code=~"5.."}[3s])) or vector(0)) / sum(rate(sample_http_requests_total{server_group="{{serverGroup}}"}[3s]))`
	mean := func(sg string) (float64, source.Fetched) {
		f, err := src.Fetch(t.Context(), q, source.Scope{Application: "shop", Environment: "test", ServerGroup: sg, Start: start.Add(3 * time.Second), End: stop})
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		var n int
		for _, v := range f.Samples {
			if !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		if n < 2 {
			t.Fatalf("%s: want at least 2 samples, got %v (query %s)", sg, f.Samples, f.Query)
		}
		return sum / float64(n), f
	}
	b0, fb := mean("shop-v001")
	c0, fc := mean("shop-v002")
	if !strings.Contains(fc.Query, `server_group="shop-v002"`) || strings.Contains(fb.Query, "{{") {
		t.Errorf("query not rendered for its scope: %s / %s", fb.Query, fc.Query)
	}
	if b0 > 0.05 {
		t.Errorf("baseline error rate %.3f, want about 0", b0)
	}
	if c0 < 0.3 || c0 > 0.7 {
		t.Errorf("canary error rate %.3f, want about 0.5", c0)
	}
}

func TestPrometheusDownIsAnErrorNotData(t *testing.T) {
	t.Parallel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	src, err := source.NewPrometheus("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := src.Fetch(t.Context(), `up{server_group="{{serverGroup}}"}`, source.Scope{ServerGroup: "x", Start: time.Now().Add(-time.Minute), End: time.Now()})
	if err == nil {
		t.Fatalf("want an error from a server that is down, got samples %v", f.Samples)
	}
	if !strings.Contains(err.Error(), addr) || f.Query != `up{server_group="x"}` {
		t.Errorf("error should name the server and the query: %v (query %q)", err, f.Query)
	}
}
