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

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/deletion"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/store"
)

// Engine is what the API asks of the execution engine.
type Engine interface {
	StartExecution(ctx context.Context, p engine.StartParams) (*model.Execution, error)
	Judge(ctx context.Context, p engine.JudgeParams) error
	Cancel(ctx context.Context, p engine.CancelParams) error
	Control(ctx context.Context, p engine.ControlParams) (bool, error)
	Retry(ctx context.Context, p engine.RetryParams) (bool, error)
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

// Deleter is what the API asks of the deletion service.
type Deleter interface {
	Delete(ctx context.Context, req deletion.Request) (*deletion.Result, error)
}

// Validator checks a config set against what is stored, returning positioned errors.
type Validator func(cfg model.Config, existing model.Config) error

// Config wires a Server.
type Config struct {
	Store    store.Store
	Engine   Engine
	Deployer Deployer
	// Triggers lists, pauses, resumes and tests pipeline triggers (nil:
	// those routes answer 501).
	Triggers Triggers
	// KPI makes delivery KPI reports (nil: GET /api/v1/kpi answers 501).
	KPI KPIReports
	// SLO reads SLOs, their windows and SLA months (report.Reader; nil:
	// the SLO routes answer 501).
	SLO SLOReports
	// Deleter deletes applications, environments and pipelines (nil: those
	// routes answer 501).
	Deleter  Deleter
	Validate Validator
	// CheckTargets checks environments' targets (nil: nothing is checked).
	CheckTargets TargetChecker
	// ConfigApplied, when set, is called after a config apply that
	// created or changed objects has committed (the server then looks
	// for new Kubernetes environments without polling for them).
	ConfigApplied func()
	Logger        *slog.Logger
	Registry      *prometheus.Registry
	// Auth authenticates requests (required).
	Auth *authn.Authenticator
	// Audit records changes, actions and refusals (nil: a recorder over Store).
	Audit *audit.Recorder
	// AllowedHosts are DNS names (besides IP addresses and localhost) that
	// requests may name in their Host header.
	AllowedHosts []string
	// PublicURL is the base URL people reach the server at, for login links
	// (default: the URL of the request).
	PublicURL string
	// Notifier sends notifications' test messages (nil: that route answers 501).
	Notifier NotificationTester
	// Extra mounts more routes (the web UI) on the same router.
	Extra func(rt *Router)
	// Hooks finds the triggers on a webhook's hook and fires them (nil:
	// no hook has a trigger, and every delivery is refused).
	Hooks TriggerHooks
	// Secrets reads the webhook triggers' secrets (nil: the server's
	// environment and files).
	Secrets *secret.Resolver
}

// Server serves the API.
type Server struct {
	cfg          Config
	router       *Router
	log          *slog.Logger
	allowedHosts []string
	csrf         *http.CrossOriginProtection
}

// New builds the API server's handler.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Audit == nil {
		cfg.Audit = &audit.Recorder{Store: cfg.Store, Log: cfg.Logger}
	}
	if cfg.Auth == nil {
		panic("api: Config.Auth is required: every route but the public ones needs a credential")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, csrf: http.NewCrossOriginProtection()}
	// Webhook deliveries come from other sites by design (a CI job, GitHub):
	// each is authenticated by its signature, never by a browser's cookie.
	s.csrf.AddInsecureBypassPattern(hookRoute)
	for _, h := range cfg.AllowedHosts {
		s.allowedHosts = append(s.allowedHosts, strings.ToLower(strings.TrimSuffix(h, ".")))
	}
	s.router = &Router{s: s, mux: http.NewServeMux()}
	s.routes(s.router)
	if cfg.Extra != nil {
		cfg.Extra(s.router)
	}
	return s
}

// Routes lists every route (API and UI) with its access rule.
func (s *Server) Routes() []Route { return s.router.Routes() }

// ServeHTTP checks the Host header, refuses cross-origin writes,
// authenticates the request and hands it to its route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.hostAllowed(r.Host) {
		s.misdirected(w, r)
		return
	}
	// No body is read past the largest route's limit, whatever reads it.
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, maxConfigBody)
	}
	if err := s.csrf.Check(r); err != nil {
		e := s.cfg.Audit.Entry(r, model.AuditAccess, audit.RequestObject(r), "")
		s.cfg.Audit.Record(r.Context(), e, model.AuditRefused, "cross-origin request")
		s.writeError(w, r, errCrossOrigin)
		return
	}
	p, err := s.cfg.Auth.Authenticate(r)
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		// A bad credential is refused by every route that needs one (with
		// what is wrong with it); public routes answer as to anyone.
		r = r.WithContext(context.WithValue(r.Context(), badCredentialKey{}, err))
	case err != nil:
		s.writeError(w, r, err)
		return
	case p.Authenticated():
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	}
	s.router.mux.ServeHTTP(w, r)
}

type badCredentialKey struct{}

// badCredential is why the request's credential was refused, if it was.
func badCredential(r *http.Request) error {
	err, _ := r.Context().Value(badCredentialKey{}).(error)
	return err
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
	w.Header().Set("Cache-Control", "no-store")
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
	case errors.Is(err, auth.ErrUnauthenticated):
		code, kind = http.StatusUnauthorized, "unauthenticated"
		w.Header().Set("WWW-Authenticate", `Bearer realm="gennaker"`)
	case errors.Is(err, errHookRefused):
		// A webhook's signature, not a token: no WWW-Authenticate challenge.
		code, kind = http.StatusUnauthorized, "unauthenticated"
	case errors.Is(err, auth.ErrForbidden):
		code, kind = http.StatusForbidden, "forbidden"
	case errors.Is(err, errCrossOrigin):
		code, kind = http.StatusForbidden, "cross_origin"
	case errors.Is(err, errMisdirected):
		code, kind = http.StatusMisdirectedRequest, "misdirected"
	case errors.Is(err, errTooLarge):
		code, kind = http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, errMediaType):
		code, kind = http.StatusUnsupportedMediaType, "unsupported_media_type"
	case errors.Is(err, store.ErrNotFound):
		code, kind = http.StatusNotFound, "not_found"
	case errors.Is(err, engine.ErrBadRequest), errors.Is(err, errBadInput):
		code, kind = http.StatusBadRequest, "bad_request"
	case errors.Is(err, engine.ErrNotWaiting), errors.Is(err, engine.ErrFinished), errors.Is(err, engine.ErrNotControllable), errors.Is(err, store.ErrConflict):
		code, kind = http.StatusConflict, "conflict"
	case errors.Is(err, errNotImplemented):
		code, kind = http.StatusNotImplemented, "not_implemented"
	case errors.Is(err, errTargetFailed):
		code, kind = http.StatusBadGateway, "target_failed"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code, kind = http.StatusServiceUnavailable, "unavailable"
	case errors.Is(err, store.ErrBusy):
		code, kind = http.StatusServiceUnavailable, "busy"
		w.Header().Set("Retry-After", "1")
		s.log.Warn("request refused: the database is busy", "method", r.Method, "path", r.URL.Path, "err", err)
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

func parseTime(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not an RFC 3339 time such as 2026-11-27T10:00:00Z", errBadInput, truncate(s, 64))
	}
	return &t, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
