package sampleservice

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("PORT", "20001")
	t.Setenv("VERSION", "v2")
	t.Setenv("INSTANCE", "3")
	t.Setenv("SAMPLE_ERROR_RATE", "0.25")
	t.Setenv("SAMPLE_LATENCY", "50ms")
	t.Setenv("SAMPLE_LATENCY_JITTER", "")
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Port: 20001, Version: "v2", Instance: "3", ErrorRate: 0.25, Latency: 50 * time.Millisecond, LatencyJitter: 5 * time.Millisecond}
	if cfg != want {
		t.Fatalf("got %+v, want %+v", cfg, want)
	}
	t.Setenv("SAMPLE_ERROR_RATE", "2")
	if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "SAMPLE_ERROR_RATE") {
		t.Fatalf("want an error naming SAMPLE_ERROR_RATE, got %v", err)
	}
}

func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, Config{Version: "v7", Instance: "1", ErrorRate: 1}, slog.New(slog.DiscardHandler))
	}()
	base := "http://" + ln.Addr().String()
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz answered %d", code)
	}
	if code, body := get("/"); code != 500 || !strings.Contains(body, "version=v7 instance=1") {
		t.Fatalf("GET / with ErrorRate 1 answered %d %q", code, body)
	}
	_, metrics := get("/metrics")
	for _, want := range []string{`sample_http_requests_total{code="500",instance="1",version="v7"} 1`, "sample_http_request_duration_seconds_bucket"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
