package main

import (
	"context"
	"flag"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/internal/server"
)

var profExecs = flag.Int("execs", 0, "TestServerInProcess: executions to start (0 skips it)")

// TestServerInProcess runs the engine batch against a server started in
// this process (internal/server.Run, the binary's wiring), so the standard
// profilers see the server's side of the authenticated API:
//
//	go test ./bench/auth -run TestServerInProcess -count 1 -v -execs 4000 \
//	    -o /tmp/auth.test -cpuprofile /tmp/server.out
//	go tool pprof -top -cum -focus 'api.\(\*Server\).ServeHTTP' /tmp/auth.test /tmp/server.out
//
// The load generator runs in the same process; -focus on the server's
// handler (or on engine functions) separates the two.
func TestServerInProcess(t *testing.T) {
	if *profExecs == 0 {
		t.Skip("pass -execs N to run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	ready := make(chan string, 1)
	tokens := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{
			DataDir: filepath.Join(dir, "data"), Addr: "127.0.0.1:0",
			Logger:       slog.New(slog.DiscardHandler),
			CLIConfig:    filepath.Join(dir, "cli.yaml"),
			Bootstrapped: func(b server.Bootstrap) { tokens <- b.Token },
			Ready:        func(url string) { ready <- url },
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var base, token string
	select {
	case base = <-ready:
		token = <-tokens
	case err := <-done:
		t.Fatal(err)
	}
	const clients = 16
	hc := &http.Client{Timeout: time.Minute, Transport: harness.Authorized{Token: token,
		Base: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}}
	if err := harness.Post(ctx, hc, base+"/api/v1/config", harness.EngineConfig(), nil); err != nil {
		t.Fatal(err)
	}
	r, err := runEngine(ctx, hc, base, *profExecs, clients, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d executions: submit %.2f s, total %.2f s, %.1f execs/s", r.n, r.submit.Seconds(), r.total.Seconds(), float64(r.n)/r.total.Seconds())
}
