// Package sampleservice is the small HTTP service gennaker's demo deploys
// (the hidden `gennaker sample-service` command). It answers GET / with its
// version and instance, GET /healthz with 200 and GET /metrics with
// Prometheus metrics, and injects the errors and latency its Config asks for.
package sampleservice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// shutdownTimeout bounds how long in-flight requests may take after ctx ends.
const shutdownTimeout = 5 * time.Second

// Run serves on 127.0.0.1:cfg.Port until ctx ends, then shuts down gracefully.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("sample service %s instance %s cannot listen: %w (is another process using PORT=%d?)", cfg.Version, cfg.Instance, err, cfg.Port)
	}
	return Serve(ctx, ln, cfg, logger)
}

// Serve is Run on a listener the caller opened (tests use port 0).
func Serve(ctx context.Context, ln net.Listener, cfg Config, logger *slog.Logger) error {
	srv := &http.Server{Handler: newHandler(cfg), ReadHeaderTimeout: 10 * time.Second}
	logger.Info("sample service listening", "addr", ln.Addr().String(), "version", cfg.Version, "instance", cfg.Instance,
		"error_rate", cfg.ErrorRate, "latency", cfg.Latency, "latency_jitter", cfg.LatencyJitter)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("sample service stopped: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("sample service shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("sample service stopped")
	return nil
}

type handler struct {
	cfg      Config
	requests *prometheus.CounterVec
	latency  prometheus.Histogram
	mux      *http.ServeMux
}

func newHandler(cfg Config) *handler {
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"version": cfg.Version, "instance": cfg.Instance}
	h := &handler{
		cfg: cfg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sample_http_requests_total", Help: "Requests served by the sample service, by status code.",
			ConstLabels: labels,
		}, []string{"code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sample_http_request_duration_seconds", Help: "Time to answer GET /, injected latency included.",
			ConstLabels: labels, Buckets: prometheus.DefBuckets,
		}),
	}
	reg.MustRegister(h.requests, h.latency)
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	h.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	h.mux.HandleFunc("/", h.serveApp)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// serveApp answers every path but /healthz and /metrics, with injected faults.
func (h *handler) serveApp(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if d := h.delay(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	code := http.StatusOK
	if h.cfg.ErrorRate > 0 && rand.Float64() < h.cfg.ErrorRate {
		code = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	if code == http.StatusOK {
		fmt.Fprintf(w, "version=%s instance=%s\n", h.cfg.Version, h.cfg.Instance)
	} else {
		fmt.Fprintf(w, "injected error: version=%s instance=%s\n", h.cfg.Version, h.cfg.Instance)
	}
	h.requests.WithLabelValues(strconv.Itoa(code)).Inc()
	h.latency.Observe(time.Since(start).Seconds())
}

func (h *handler) delay() time.Duration {
	d := h.cfg.Latency
	if h.cfg.LatencyJitter > 0 {
		d += rand.N(h.cfg.LatencyJitter)
	}
	return d
}
