package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Engine is what the API asks of the execution engine.
type Engine interface {
	StartExecution(ctx context.Context, p engine.StartParams) (*model.Execution, error)
	Judge(ctx context.Context, p engine.JudgeParams) error
	Cancel(ctx context.Context, p engine.CancelParams) error
	Bus() *engine.Bus
}

// Deployer is what the API asks of the deploy service (applications' server
// groups, one-click rollback, logs). It is optional: without it those routes
// answer 501.
type Deployer interface {
	Deploy(ctx context.Context, req deploy.Request) (*model.Execution, error)
	Rollback(ctx context.Context, req deploy.RollbackRequest) (*model.Execution, error)
	Status(ctx context.Context, app string) (*deploy.AppStatus, error)
	Logs(ctx context.Context, app, env string, tail int) (string, error)
	GroupLogs(ctx context.Context, app, env string, tail int) ([]deploy.GroupLogs, error)
	Adopt(ctx context.Context, req deploy.AdoptRequest) (*model.ServerGroup, error)
}

// Validator checks a config set against what is stored, returning positioned errors.
type Validator func(cfg model.Config, existing model.Config) error

// Config wires a Server.
type Config struct {
	Store    store.Store
	Engine   Engine
	Deployer Deployer
	Validate Validator
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Extra mounts more handlers (the web UI) on the same mux.
	Extra func(mux *http.ServeMux)
}

// Server serves the API.
type Server struct {
	cfg Config
	mux *http.ServeMux
	log *slog.Logger
}

// New builds the API server's handler.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: cfg.Logger}
	s.routes()
	if cfg.Extra != nil {
		cfg.Extra(s.mux)
	}
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	m.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	m.HandleFunc("GET /api/v1/config", s.getConfig)
	m.HandleFunc("POST /api/v1/config", s.applyConfig)
	m.HandleFunc("POST /api/v1/config/validate", s.validateConfig)
	m.HandleFunc("GET /api/v1/applications", s.listApplications)
	m.HandleFunc("GET /api/v1/applications/{name}", s.getApplication)
	m.HandleFunc("GET /api/v1/environments", s.listEnvironments)
	m.HandleFunc("GET /api/v1/pipelines", s.listPipelines)
	m.HandleFunc("GET /api/v1/pipelines/{name}", s.getPipeline)
	m.HandleFunc("GET /api/v1/analysis-templates", s.listAnalysisTemplates)
	m.HandleFunc("GET /api/v1/analysis-templates/{name}", s.getAnalysisTemplate)
	m.HandleFunc("POST /api/v1/pipelines/{name}/executions", s.runPipeline)
	m.HandleFunc("GET /api/v1/executions", s.listExecutions)
	m.HandleFunc("GET /api/v1/executions/{id}", s.getExecution)
	m.HandleFunc("GET /api/v1/executions/{id}/stream", s.streamExecution)
	m.HandleFunc("POST /api/v1/executions/{id}/approve", s.judge(model.DecisionApprove))
	m.HandleFunc("POST /api/v1/executions/{id}/reject", s.judge(model.DecisionReject))
	m.HandleFunc("POST /api/v1/executions/{id}/cancel", s.cancel)
	m.HandleFunc("GET /api/v1/events", s.listEvents)
	m.HandleFunc("GET /api/v1/stream", s.streamAll)
	m.HandleFunc("POST /api/v1/applications/{name}/deploy", s.deploy())
	m.HandleFunc("POST /api/v1/applications/{name}/rollback", s.rollback())
	m.HandleFunc("POST /api/v1/applications/{name}/adopt", s.adopt())
	m.HandleFunc("GET /api/v1/applications/{name}/status", s.status)
	m.HandleFunc("GET /api/v1/applications/{name}/logs", s.logs)
	m.HandleFunc("GET /api/v1/executions/{id}/analysis", s.analysis)
	m.HandleFunc("POST /api/v1/executions/{id}/analysis/replay", s.replayAnalysis)
	reg := s.cfg.Registry
	if reg != nil {
		m.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Error is the JSON body of every error answer.
type Error struct {
	Error string `json:"error"`
	Code  string `json:"code"`
	// Errors lists each problem of an invalid config (code invalid_config).
	Errors []string `json:"errors,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError maps an error to an HTTP status and a JSON body that says what to do.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, kind := http.StatusInternalServerError, "internal"
	var cfgErr interface{ ConfigErrors() []string }
	switch {
	case errors.As(err, &cfgErr):
		code, kind = http.StatusUnprocessableEntity, "invalid_config"
	case errors.Is(err, store.ErrNotFound):
		code, kind = http.StatusNotFound, "not_found"
	case errors.Is(err, engine.ErrBadRequest), errors.Is(err, errBadInput):
		code, kind = http.StatusBadRequest, "bad_request"
	case errors.Is(err, engine.ErrNotWaiting), errors.Is(err, engine.ErrFinished), errors.Is(err, store.ErrConflict):
		code, kind = http.StatusConflict, "conflict"
	case errors.Is(err, errNotImplemented):
		code, kind = http.StatusNotImplemented, "not_implemented"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code, kind = http.StatusServiceUnavailable, "unavailable"
	}
	if code == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	body := Error{Error: err.Error(), Code: kind}
	if cfgErr != nil {
		body.Errors = cfgErr.ConfigErrors()
	}
	writeJSON(w, code, body)
}

var (
	errBadInput       = errors.New("bad input")
	errNotImplemented = errors.New("not available on this server")
)

func decodeBody(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 8<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: request body: %v", errBadInput, err)
	}
	return nil
}

// actor names who made a request: the X-Gennaker-Actor header, or "anonymous".
func actor(r *http.Request) string {
	if a := strings.TrimSpace(r.Header.Get("X-Gennaker-Actor")); a != "" {
		return a
	}
	return "anonymous"
}

func parseTime(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not an RFC 3339 time such as 2026-11-27T10:00:00Z", errBadInput, s)
	}
	return &t, nil
}
