package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
)

// backendEnv, set to 1, turns this program into one backend instance: the
// local provider starts it with PORT and INSTANCE set.
const backendEnv = "GENNAKER_BENCH_BACKEND"

// backendHeader carries the id of the backend that answered.
const backendHeader = "X-Backend"

// runBackend is a minimal HTTP server: GET / answers 2 bytes and its id in
// X-Backend, /healthz answers ok, /count answers how many / requests it has
// served (so the split is counted without slowing the load generator).
func runBackend() error {
	id := os.Getenv("BENCH_GROUP") + "-" + os.Getenv("INSTANCE")
	var served atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/count", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(strconv.FormatInt(served.Load(), 10)))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		w.Header().Set(backendHeader, id)
		_, _ = w.Write([]byte("ok"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		return fmt.Errorf("backend %s: %w", id, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Handler: mux}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
