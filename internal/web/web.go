// Package web is gennaker's browser UI: server-rendered pages (html/template)
// over the same store and deploy service the API uses, with hand-written JS
// and CSS embedded in the binary. Every page reads well without JavaScript;
// the JS adds live updates (server-sent events from the API) and sends
// actions to the API with fetch. Without JS, action forms post to this
// package, which forwards them to the same API routes the CLI uses.
//
// Files: web.go (wiring, rendering), pages.go (page handlers), views.go
// (view models of applications, executions and events), executions.go and
// pipelines.go (the list pages and their filters), graph.go (the pure
// layout of a pipeline graph) and exec_graph.go (what its boxes say),
// canary_progress.go (a deploy's plan step by step), analysis_view.go
// (the canary analysis view model and its plots), actions.go (no-JS forms),
// kpi.go (the delivery KPI page) with kpi_view.go and kpi_sections.go (its
// view model), kpi_chart.go and kpi_scale.go (the pure layout of its charts) and
// kpi_svg.go (their SVG).
package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/notify"
	"github.com/gennaker/gennaker/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the UI reads from gennaker's database.
type Store interface {
	ApplicationList(ctx context.Context, params store.ApplicationListParams) ([]model.Application, error)
	ApplicationGet(ctx context.Context, name string) (*model.Application, error)
	EnvironmentList(ctx context.Context) ([]model.Environment, error)
	PipelineList(ctx context.Context, params store.PipelineListParams) ([]model.Pipeline, error)
	PipelineGet(ctx context.Context, name string) (*model.Pipeline, error)
	ExecutionRecent(ctx context.Context, params store.ExecutionRecentParams) ([]model.Execution, error)
	ExecutionList(ctx context.Context, params store.ExecutionListParams) ([]model.Execution, error)
	EventList(ctx context.Context, params store.EventListParams) ([]model.Event, error)
	AnalysisList(ctx context.Context, executionID string) ([]store.AnalysisRecord, error)
	notify.StatusReader
}

// StatusSource reports an application's server groups with live health
// (the deploy service): one application's, or a page of them in a fixed
// number of queries.
type StatusSource interface {
	Status(ctx context.Context, app string) (*deploy.AppStatus, error)
	Overview(ctx context.Context, apps []string) (*deploy.Overview, error)
}

var (
	_ Store        = store.Store(nil)
	_ StatusSource = (*deploy.Service)(nil)
	_ KPIReports   = (*kpi.Reporter)(nil)
)

// Config wires the UI.
type Config struct {
	Store  Store
	Status StatusSource
	Logger *slog.Logger
	// Now is the clock used for running durations (default time.Now).
	Now func() time.Time
	// Auth opens and closes browser sessions (required).
	Auth *authn.Authenticator
	// OIDC, when set, offers "Log in with SSO" on the login page.
	OIDC *authn.OIDC
	// OIDCName names the identity provider on the login button (default "single sign-on").
	OIDCName string
	// Audit records logins and logouts.
	Audit *audit.Recorder
	// KPI makes the reports of the /kpi page (kpi.Reporter); without it
	// the page says the server computes no KPIs.
	KPI KPIReports
	// SLO reads SLOs, their windows and SLA months for the /slos and /sla
	// pages and the SLO lines of the application pages (report.Reader);
	// without it those pages say the server keeps no SLOs.
	SLO api.SLOReports
}

// ui serves the pages.
type ui struct {
	cfg Config
	log *slog.Logger
	// pages parses the templates on the first page served, not at start:
	// a server that nobody opens the UI of does not hold them (about 1 MB
	// of heap; docs/benchmarks.md, Footprint).
	pages func() (map[string]*template.Template, error)
	// api is the router the API is served on; no-JS forms are forwarded to
	// it, as the logged-in caller.
	api http.Handler
}

// Mount returns a function that mounts the UI on the API's router, for api.Config.Extra.
func Mount(cfg Config) func(rt *api.Router) {
	return func(rt *api.Router) {
		newUI(cfg, rt).routes(rt)
	}
}

func newUI(cfg Config, api http.Handler) *ui {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &ui{cfg: cfg, log: cfg.Logger, pages: sync.OnceValues(parsePages), api: api}
}

// Page access rules. Every page needs a login; a page about an application
// or an execution needs read access to it. The router refuses cross-origin
// form posts for every route.
var (
	publicPage = api.Access{Public: true, Page: true}
	anyPage    = api.Access{On: api.OnCaller, Page: true, Narrowed: "shows only what the caller may read"}
	appPage    = api.Access{Perm: auth.PermRead, On: api.OnAppPath, Page: true}
	execPage   = api.Access{Perm: auth.PermRead, On: api.OnExecutionPath, Page: true}
	// adminPage shows what only admins of everything may read (notifications).
	adminPage = api.Access{Perm: auth.PermAdmin, On: api.OnGlobal, Page: true}
	// Forms for browsers without JavaScript: forwarded to the API route of
	// the same action, which checks the caller's permission on it.
	formPost = api.Access{On: api.OnCaller, Page: true, Narrowed: "forwarded to the API route of the action, with its rule"}
)

func (h *ui) routes(rt *api.Router) {
	rt.Denied = func(w http.ResponseWriter, r *http.Request, err error) { h.fail(w, r, err, "Page") }
	static, _ := fs.Sub(staticFS, "static")
	rt.Handle("GET /static/", publicPage, http.StripPrefix("/static/", cacheShort(http.FileServerFS(static))))
	rt.HandleFunc("GET /login", publicPage, h.loginPage)
	rt.HandleFunc("POST /login", publicPage, h.formHandler(h.postLogin))
	rt.HandleFunc("POST /login/link", publicPage, h.formHandler(h.postLoginLink))
	rt.HandleFunc("POST /logout", publicPage, h.formHandler(h.postLogout))
	rt.HandleFunc("GET /auth/oidc/start", publicPage, h.oidcStart)
	rt.HandleFunc("GET /auth/oidc/callback", publicPage, h.oidcCallback)
	rt.HandleFunc("GET /{$}", anyPage, h.applications)
	rt.HandleFunc("GET /applications", anyPage, redirectTo("/"))
	rt.HandleFunc("GET /applications/{name}", appPage, h.application)
	rt.HandleFunc("GET /applications/{name}/rollback", appPage, h.confirmRollback)
	rt.HandleFunc("GET /executions/{id}", execPage, h.execution)
	rt.HandleFunc("GET /executions/{id}/analysis", execPage, h.analysis)
	rt.HandleFunc("GET /executions/{id}/cancel", execPage, h.confirmCancel)
	rt.HandleFunc("GET /executions", anyPage, h.executions)
	rt.HandleFunc("GET /pipelines", anyPage, h.pipelines)
	rt.HandleFunc("GET /pipelines/{name}/{pipeline}", appPage, h.pipeline)
	rt.HandleFunc("GET /events", anyPage, h.events)
	rt.HandleFunc("GET /notifications", adminPage, h.notifications)
	rt.HandleFunc("GET /kpi", anyPage, h.kpiPage)
	rt.HandleFunc("GET /slos", anyPage, h.sloList)
	rt.HandleFunc("GET /slos/{name}", sloReadPage, h.sloPage)
	rt.HandleFunc("GET /sla", anyPage, h.slaPage)
	// Any other address: the UI's own "not found" page (the API's own
	// unknown routes answer in JSON).
	rt.HandleFunc("GET /{path...}", publicPage, h.notFound)
	rt.HandleFunc("POST /applications/{name}/rollback", formPost, h.formHandler(h.postRollback))
	rt.HandleFunc("POST /applications/{name}/deploy", formPost, h.formHandler(h.postDeploy))
	rt.HandleFunc("POST /executions/{id}/{action}", formPost, h.formHandler(h.postExecutionAction))
}

func cacheShort(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		next.ServeHTTP(w, r)
	})
}

var funcs = template.FuncMap{
	"statusClass": statusClass,
	"ago":         ago,
	"dur":         fmtDuration,
	"pct":         func(f float64) string { return trimFloat(f, 1) + "%" },
	"num":         fmtNumber,
	"add":         func(a, b int) int { return a + b },
	"mul":         func(a, b int) int { return a * b },
	"time":        timeHTML,
	"short":       shortID,
	"reason":      reasonHTML,
	"words":       unbreakable,
	"brief":       brief,
	"join":        joinNames,
}

func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		pages[n[len("templates/"):]] = t
	}
	return pages, nil
}

// page is what the layout needs besides the page's own data.
type page struct {
	// User is who is logged in ("" on the login page).
	User  string
	Title string
	Nav   string // which top-level section is current
	// Live names the SSE stream the page's JS listens to ("" for none).
	Live string
	// Admin is set for admins of everything, who see the Notifications page.
	Admin bool
	Data  any
}

func (h *ui) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	pages, err := h.pages()
	if err != nil { // the templates are embedded: a parse error is a bug caught by TestTemplatesParse
		h.log.Error("parsing the page templates", "err", err)
		http.Error(w, "parsing the page templates: "+err.Error(), http.StatusInternalServerError)
		return
	}
	t, ok := pages[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	p.User = auth.From(r.Context()).Actor()
	p.Admin = auth.From(r.Context()).Can(auth.PermAdmin, auth.Global)
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", p); err != nil {
		h.log.Error("rendering page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "rendering "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}

// fail renders an error page that says what happened and what to do.
func (h *ui) fail(w http.ResponseWriter, r *http.Request, err error, what string) {
	code, title, hint := http.StatusInternalServerError, "Something went wrong", "Reload the page; if it keeps failing, see the server's log."
	switch {
	case errors.Is(err, auth.ErrForbidden):
		code, title, hint = http.StatusForbidden, "Not allowed", "Ask an admin of gennaker for a grant (see docs/security.md), or log in as someone who has one."
	case errors.Is(err, store.ErrNotFound):
		code, title, hint = http.StatusNotFound, what+" not found", "Check the address, or go back to the applications."
	case errors.Is(err, errBadFilter):
		code, title, hint = http.StatusBadRequest, what+": the address asks for something the page cannot show", "Change the field named above, or clear the filters."
	default:
		h.log.Error("page failed", "path", r.URL.Path, "err", err)
	}
	h.render(w, r, code, "error.html", page{Title: title, Data: errorView{Title: title, Detail: err.Error(), Hint: hint}})
}

// redirectTo answers with a redirect to path, keeping the query string
// (/applications?after=x goes to /?after=x).
func redirectTo(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		to := path
		if r.URL.RawQuery != "" {
			to += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, to, http.StatusMovedPermanently)
	}
}

// notFound answers an address no page has: the UI's error page, or for
// an address under /api/ the API's JSON error.
func (h *ui) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(api.Error{Code: "not_found", Error: fmt.Sprintf("no API route answers GET %s: see docs/api.md for the routes", shorten(r.URL.Path, 200))})
		return
	}
	h.fail(w, r, fmt.Errorf("no page is at %s: %w", shorten(r.URL.Path, 200), store.ErrNotFound), "Page")
}

type errorView struct {
	Title, Detail, Hint string
	Back                string
}
