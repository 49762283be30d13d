package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/web"
)

// The role matrix: every route of the server (API and UI), called by every
// kind of caller, must answer as this table says. The table is written by
// hand from docs/security.md, not computed by the code under test, and a
// route that the server registers without a row here fails the test: a new
// endpoint cannot ship without someone deciding who may call it.
//
// Callers are API tokens, one per role and scope (people logged in through
// OIDC get the same bindings from grants; the OIDC test covers that path):
//
//	admin   admin of everything (the server's local admin)
//	tadmin  admin of team payments (checkout, billing)
//	vall    viewer of everything
//	vpay    viewer of team payments
//	dstg    deployer of application checkout, in staging only
//	dpay    deployer of team payments, every environment
//	apprd   approver of team payments, in production only
//	anon    no credential
//	revoked a revoked deployer token
var callers = []string{"admin", "tadmin", "vall", "vpay", "dstg", "dpay", "apprd", "anon", "revoked"}

// Who may do what, as sets of callers.
const (
	everyone     = "admin tadmin vall vpay dstg dpay apprd"
	readPayments = everyone                 // every caller but anon/revoked reads team payments' apps
	readSearch   = "admin vall"             // search-api belongs to team search
	deployStg    = "admin tadmin dstg dpay" // deploy checkout in staging
	approveProd  = "admin tadmin apprd"     // approve checkout's production gate
	adminPay     = "admin tadmin"           // admin over team payments' objects
	adminAll     = "admin"                  // admin over everything
	anyGrant     = everyone                 // shared objects: any caller with a grant
	nobody       = ""
)

// probe is one request of a route and who may make it.
type probe struct {
	// request builds the request; fixtures made here are fresh per caller,
	// so an allowed action never changes what the next caller sees.
	request func(t *testing.T, fx *fixtures) (method, path, contentType, body string)
	allow   string
	// public routes answer want (0: any status but 401/403) to everyone.
	public bool
	want   int
}

func jsonReq(method, path, body string) func(*testing.T, *fixtures) (string, string, string, string) {
	return func(*testing.T, *fixtures) (string, string, string, string) {
		return method, path, "application/json", body
	}
}

func get(path string) func(*testing.T, *fixtures) (string, string, string, string) {
	return func(*testing.T, *fixtures) (string, string, string, string) { return http.MethodGet, path, "", "" }
}

func formReq(path, body string) func(*testing.T, *fixtures) (string, string, string, string) {
	return func(*testing.T, *fixtures) (string, string, string, string) {
		return http.MethodPost, path, "application/x-www-form-urlencoded", body
	}
}

// onIncident builds a request about a fresh incident of app in env, opened
// by the admin: GET it, or POST to it with suffix.
func onIncident(app, env, method, suffix string) func(*testing.T, *fixtures) (string, string, string, string) {
	return func(t *testing.T, fx *fixtures) (string, string, string, string) {
		t.Helper()
		inc, err := fx.admin.OpenIncident(context.Background(), api.IncidentRequest{Application: app, Environment: env, Title: "probe"})
		if err != nil {
			t.Fatalf("opening an incident of %s in %s: %v", app, env, err)
		}
		path := "/api/v1/incidents/" + inc.ID + suffix
		if method == http.MethodGet {
			return method, path, "", ""
		}
		return method, path, "application/json", `{}`
	}
}

// onExec builds a request about a fresh execution of pipeline.
func onExec(pipeline, method, suffix, contentType, body string) func(*testing.T, *fixtures) (string, string, string, string) {
	return func(t *testing.T, fx *fixtures) (string, string, string, string) {
		return method, strings.ReplaceAll(suffix, "{id}", fx.start(t, pipeline)), contentType, body
	}
}

const checkoutConfig = `{"applications":[{"name":"checkout","team":"payments","run":{"command":"sleep","args":["3600"]},"healthCheck":{"path":"/"},"instances":1}]}`

var matrix = map[string][]probe{
	"GET /healthz":             {{request: get("/healthz"), public: true, want: 200}},
	"GET /metrics":             {{request: get("/metrics"), public: true, want: 200}},
	"GET /api/v1/openapi.json": {{request: get("/api/v1/openapi.json"), public: true, want: 200}},
	// Signed by a trigger's secret, not by a caller's credential: every
	// caller, with or without a token, gets 401 from a hook with no trigger.
	"POST /api/v1/hooks/{hook}":             {{request: jsonReq("POST", "/api/v1/hooks/no-such-hook", `{}`), public: true, want: http.StatusUnauthorized}},
	"GET /api/v1/whoami":                    {{request: get("/api/v1/whoami"), allow: everyone}},
	"POST /api/v1/auth/login-links":         {{request: jsonReq("POST", "/api/v1/auth/login-links", `{}`), allow: everyone}},
	"GET /api/v1/config":                    {{request: get("/api/v1/config"), allow: anyGrant}},
	"POST /api/v1/config":                   {{request: jsonReq("POST", "/api/v1/config", checkoutConfig), allow: adminPay}, {request: jsonReq("POST", "/api/v1/config", `{"environments":[{"name":"staging","target":{"kind":"local"},"frontDoors":{"checkout":"127.0.0.1:1"}}]}`), allow: adminAll}},
	"POST /api/v1/config/validate":          {{request: jsonReq("POST", "/api/v1/config/validate", checkoutConfig), allow: everyone}},
	"POST /api/v1/config/check-targets":     {{request: jsonReq("POST", "/api/v1/config/check-targets", `{"environments":[{"name":"staging","target":{"kind":"local"}}]}`), allow: adminAll}},
	"GET /api/v1/applications":              {{request: get("/api/v1/applications"), allow: everyone}},
	"GET /api/v1/applications/{name}":       {{request: get("/api/v1/applications/checkout"), allow: readPayments}, {request: get("/api/v1/applications/search-api"), allow: readSearch}},
	"GET /api/v1/environments":              {{request: get("/api/v1/environments"), allow: anyGrant}},
	"GET /api/v1/pipelines":                 {{request: get("/api/v1/pipelines"), allow: everyone}},
	"GET /api/v1/pipelines/{name}":          {{request: get("/api/v1/pipelines/checkout-staging"), allow: readPayments}, {request: get("/api/v1/pipelines/search-prod"), allow: readSearch}},
	"GET /api/v1/analysis-templates":        {{request: get("/api/v1/analysis-templates"), allow: anyGrant}},
	"GET /api/v1/analysis-templates/{name}": {{request: get("/api/v1/analysis-templates/quick"), allow: anyGrant}},
	"POST /api/v1/pipelines/{name}/executions": {
		{request: jsonReq("POST", "/api/v1/pipelines/checkout-staging/executions", `{}`), allow: deployStg},
		// Every deploy of checkout-prod is behind a judgment: running it needs deploy on checkout anywhere.
		{request: jsonReq("POST", "/api/v1/pipelines/checkout-prod/executions", `{}`), allow: "admin tadmin dstg dpay"},
		{request: jsonReq("POST", "/api/v1/pipelines/search-prod/executions", `{}`), allow: adminAll},
	},
	"GET /api/v1/executions": {{request: get("/api/v1/executions"), allow: everyone}},
	"GET /api/v1/executions/{id}": {
		{request: onExec("checkout-prod", "GET", "/api/v1/executions/{id}", "", ""), allow: readPayments},
		{request: onExec("search-prod", "GET", "/api/v1/executions/{id}", "", ""), allow: readSearch},
	},
	"GET /api/v1/executions/{id}/stream": {{request: onExec("checkout-prod", "GET", "/api/v1/executions/{id}/stream", "", ""), allow: readPayments}},
	"POST /api/v1/executions/{id}/approve": {
		{request: onExec("checkout-prod", "POST", "/api/v1/executions/{id}/approve", "application/json", `{}`), allow: approveProd},
		// The staging deploy's own gate (the canary pause) is not production's: apprd cannot, dstg is no approver.
		{request: onExec("search-prod-gated", "POST", "/api/v1/executions/{id}/approve", "application/json", `{}`), allow: adminAll},
	},
	"POST /api/v1/executions/{id}/reject": {{request: onExec("checkout-prod", "POST", "/api/v1/executions/{id}/reject", "application/json", `{"comment":"no"}`), allow: approveProd}},
	// The canary controls need what approving the canary's pause needs:
	// approve in the stage's environment (production here).
	"POST /api/v1/executions/{id}/promote": {{request: onExec("checkout-prod", "POST", "/api/v1/executions/{id}/promote", "application/json", `{"stage":"deploy-production"}`), allow: approveProd}},
	"POST /api/v1/executions/{id}/abort":   {{request: onExec("checkout-prod", "POST", "/api/v1/executions/{id}/abort", "application/json", `{"stage":"deploy-production"}`), allow: approveProd}},
	"POST /api/v1/executions/{id}/retry":   {{request: onExec("checkout-prod", "POST", "/api/v1/executions/{id}/retry", "application/json", `{"stage":"approve"}`), allow: approveProd}},
	"POST /api/v1/executions/{id}/cancel": {
		{request: onExec("checkout-staging", "POST", "/api/v1/executions/{id}/cancel", "application/json", `{}`), allow: deployStg},
		{request: onExec("search-prod", "POST", "/api/v1/executions/{id}/cancel", "application/json", `{}`), allow: adminAll},
	},
	"GET /api/v1/triggers": {{request: get("/api/v1/triggers"), allow: everyone}},
	// Pausing or resuming a trigger needs what running its pipeline needs.
	"POST /api/v1/triggers/{app}/{pipeline}/{trigger}/pause": {
		{request: jsonReq("POST", "/api/v1/triggers/checkout/checkout-staging/nightly/pause", `{}`), allow: deployStg},
		{request: jsonReq("POST", "/api/v1/triggers/search-api/search-prod/nightly/pause", `{}`), allow: adminAll},
	},
	"POST /api/v1/triggers/{app}/{pipeline}/{trigger}/resume": {
		{request: jsonReq("POST", "/api/v1/triggers/checkout/checkout-staging/nightly/resume", `{}`), allow: deployStg},
		{request: jsonReq("POST", "/api/v1/triggers/search-api/search-prod/nightly/resume", `{}`), allow: adminAll},
	},
	// A dry run starts nothing: read on the pipeline's application.
	"POST /api/v1/triggers/{app}/{pipeline}/{trigger}/test": {
		{request: jsonReq("POST", "/api/v1/triggers/checkout/checkout-staging/nightly/test", `{"tick":"2026-01-01T03:00:00Z"}`), allow: readPayments},
		{request: jsonReq("POST", "/api/v1/triggers/search-api/search-prod/nightly/test", `{"tick":"2026-01-01T03:00:00Z"}`), allow: readSearch},
	},
	"GET /api/v1/events": {{request: get("/api/v1/events"), allow: everyone}},
	"GET /api/v1/kpi":    {{request: get("/api/v1/kpi?since=30d"), allow: everyone}},
	// SLOs: lists narrowed to what the caller reads; one SLO needs read
	// on its application (checkout's and search-api's shorthand SLOs).
	"GET /api/v1/slos": {{request: get("/api/v1/slos"), allow: everyone}},
	"GET /api/v1/slos/{name}": {
		{request: get("/api/v1/slos/checkout-availability"), allow: readPayments},
		{request: get("/api/v1/slos/search-api-availability"), allow: readSearch},
	},
	"GET /api/v1/slos/{name}/sla": {
		{request: get("/api/v1/slos/checkout-availability/sla?month=2026-01"), allow: readPayments},
		{request: get("/api/v1/slos/search-api-availability/sla?month=2026-01&format=csv"), allow: readSearch},
	},
	"GET /api/v1/sla":    {{request: get("/api/v1/sla?month=2026-01"), allow: everyone}},
	"GET /api/v1/stream": {{request: get("/api/v1/stream"), allow: everyone}},
	// Incidents: recording or resolving one needs deploy on its application
	// in its environment; reading, read on its application.
	"GET /api/v1/incidents": {{request: get("/api/v1/incidents?open=true"), allow: everyone}},
	"GET /api/v1/incidents/{id}": {
		{request: onIncident("checkout", "staging", "GET", ""), allow: readPayments},
		{request: onIncident("search-api", "production", "GET", ""), allow: readSearch},
	},
	"POST /api/v1/incidents": {
		{request: jsonReq("POST", "/api/v1/incidents", `{"application":"checkout","environment":"staging","title":"5xx"}`), allow: deployStg},
		{request: jsonReq("POST", "/api/v1/incidents", `{"application":"checkout","environment":"production","title":"5xx"}`), allow: "admin tadmin dpay"},
		{request: jsonReq("POST", "/api/v1/incidents", `{"application":"search-api","environment":"production","title":"5xx"}`), allow: adminAll},
	},
	"POST /api/v1/incidents/{id}/resolve": {
		{request: onIncident("checkout", "staging", "POST", "/resolve"), allow: deployStg},
		{request: onIncident("search-api", "production", "POST", "/resolve"), allow: adminAll},
	},
	// Any token holding deploy somewhere passes the gate; each alert is then
	// checked on its own (a refused alert is listed in the 200 answer).
	"POST /api/v1/incidents/alertmanager": {{request: jsonReq("POST", "/api/v1/incidents/alertmanager",
		`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Down","app":"checkout","env":"staging"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"0123456789abcdef"}]}`), allow: deployStg}},
	"POST /api/v1/applications/{name}/deploy": {
		{request: jsonReq("POST", "/api/v1/applications/checkout/deploy", `{"environment":"staging","version":"v9","pipeline":"checkout-staging"}`), allow: deployStg},
		{request: jsonReq("POST", "/api/v1/applications/search-api/deploy", `{"environment":"production","version":"v9","pipeline":"search-prod"}`), allow: adminAll},
	},
	"POST /api/v1/applications/{name}/rollback": {
		{request: jsonReq("POST", "/api/v1/applications/checkout/rollback", `{"environment":"staging"}`), allow: deployStg},
		{request: jsonReq("POST", "/api/v1/applications/checkout/rollback", `{"environment":"production"}`), allow: "admin tadmin dpay"},
	},
	"POST /api/v1/applications/{name}/adopt":       {{request: jsonReq("POST", "/api/v1/applications/checkout/adopt", `{"environment":"staging","deployment":"x"}`), allow: deployStg}},
	"GET /api/v1/applications/{name}/status":       {{request: get("/api/v1/applications/checkout/status"), allow: readPayments}, {request: get("/api/v1/applications/search-api/status"), allow: readSearch}},
	"GET /api/v1/applications/{name}/logs":         {{request: get("/api/v1/applications/checkout/logs?environment=staging"), allow: readPayments}},
	"GET /api/v1/executions/{id}/analysis":         {{request: onExec("search-prod", "GET", "/api/v1/executions/{id}/analysis", "", ""), allow: readSearch}},
	"POST /api/v1/executions/{id}/analysis/replay": {{request: onExec("checkout-prod", "POST", "/api/v1/executions/{id}/analysis/replay", "application/json", `{}`), allow: readPayments}},
	"GET /api/v1/tokens":                           {{request: get("/api/v1/tokens"), allow: adminPay}},
	"POST /api/v1/tokens": {
		{request: jsonReq("POST", "/api/v1/tokens", `{"name":"made-{caller}","role":"viewer","scope":{"team":"payments"}}`), allow: adminPay},
		{request: jsonReq("POST", "/api/v1/tokens", `{"name":"wide-{caller}","role":"viewer"}`), allow: adminAll},
	},
	// A dry run: the same authorization as a deletion, and the fixtures stay.
	"DELETE /api/v1/applications/{name}": {
		{request: jsonReq("DELETE", "/api/v1/applications/checkout?dryRun=true", ""), allow: adminPay},
		{request: jsonReq("DELETE", "/api/v1/applications/search-api?dryRun=true", ""), allow: adminAll},
	},
	"DELETE /api/v1/pipelines/{name}": {
		{request: jsonReq("DELETE", "/api/v1/pipelines/checkout-staging?dryRun=true", ""), allow: adminPay},
		{request: jsonReq("DELETE", "/api/v1/pipelines/search-prod?dryRun=true", ""), allow: adminAll},
	},
	"DELETE /api/v1/environments/{name}": {{request: jsonReq("DELETE", "/api/v1/environments/staging?dryRun=true", ""), allow: adminAll}},
	"DELETE /api/v1/tokens/{name}": {
		{request: func(t *testing.T, fx *fixtures) (string, string, string, string) {
			return http.MethodDelete, "/api/v1/tokens/" + fx.newToken(t, `{"role":"viewer","scope":{"application":"checkout"}}`), "", ""
		}, allow: adminPay},
		{request: func(t *testing.T, fx *fixtures) (string, string, string, string) {
			return http.MethodDelete, "/api/v1/tokens/" + fx.newToken(t, `{"role":"viewer","scope":{"team":"search"}}`), "", ""
		}, allow: adminAll},
	},
	"GET /api/v1/audit":                      {{request: get("/api/v1/audit"), allow: adminAll}},
	"GET /api/v1/notifications":              {{request: get("/api/v1/notifications"), allow: adminAll}},
	"POST /api/v1/notifications/{name}/test": {{request: jsonReq("POST", "/api/v1/notifications/nope/test", `{}`), allow: adminAll}},
	"DELETE /api/v1/notifications/{name}":    {{request: jsonReq("DELETE", "/api/v1/notifications/nope?dryRun=true", ""), allow: adminAll}},
	"DELETE /api/v1/slos/{name}": {
		{request: jsonReq("DELETE", "/api/v1/slos/checkout-errors?dryRun=true", ""), allow: adminPay},
		{request: jsonReq("DELETE", "/api/v1/slos/search-errors?dryRun=true", ""), allow: adminAll},
	},
	"GET /api/v1/audit/verify": {{request: get("/api/v1/audit/verify"), allow: adminAll}},

	// The UI.
	"GET /static/": {{request: get("/static/style.css"), public: true, want: 200}},
	"GET /login":   {{request: get("/login"), public: true, want: 200}},
	"POST /login": {{request: func(t *testing.T, fx *fixtures) (string, string, string, string) {
		return http.MethodPost, "/login", "application/x-www-form-urlencoded", "token=" + url.QueryEscape(fx.tokens["vall"])
	}, public: true, want: http.StatusSeeOther}},
	"POST /login/link": {{request: func(t *testing.T, fx *fixtures) (string, string, string, string) {
		return http.MethodPost, "/login/link", "application/x-www-form-urlencoded", "token=" + url.QueryEscape(fx.loginLink(t))
	}, public: true, want: http.StatusSeeOther}},
	"POST /logout":                      {{request: formReq("/logout", ""), public: true, want: http.StatusSeeOther}},
	"GET /auth/oidc/start":              {{request: get("/auth/oidc/start"), public: true, want: http.StatusNotFound}},
	"GET /auth/oidc/callback":           {{request: get("/auth/oidc/callback"), public: true, want: http.StatusNotFound}},
	"GET /{$}":                          {{request: get("/"), allow: everyone}},
	"GET /applications/{name}":          {{request: get("/applications/checkout"), allow: readPayments}, {request: get("/applications/search-api"), allow: readSearch}},
	"GET /applications/{name}/rollback": {{request: get("/applications/search-api/rollback?environment=production"), allow: readSearch}},
	"GET /executions/{id}":              {{request: onExec("search-prod", "GET", "/executions/{id}", "", ""), allow: readSearch}},
	"GET /executions/{id}/analysis":     {{request: onExec("checkout-prod", "GET", "/executions/{id}/analysis", "", ""), allow: readPayments}},
	"GET /executions/{id}/cancel":       {{request: onExec("search-prod", "GET", "/executions/{id}/cancel", "", ""), allow: readSearch}},
	"GET /events":                       {{request: get("/events"), allow: everyone}},
	"GET /notifications":                {{request: get("/notifications"), allow: adminAll}},
	"GET /kpi":                          {{request: get("/kpi?since=30d"), allow: everyone}},
	"GET /slos":                         {{request: get("/slos"), allow: everyone}},
	"GET /slos/{name}":                  {{request: get("/slos/checkout-availability"), allow: readPayments}, {request: get("/slos/search-api-availability"), allow: readSearch}},
	"GET /sla":                          {{request: get("/sla?month=2026-01"), allow: everyone}},
	"GET /applications":                 {{request: get("/applications"), allow: everyone}},
	"GET /executions":                   {{request: get("/executions?status=running"), allow: everyone}},
	"GET /pipelines":                    {{request: get("/pipelines"), allow: everyone}},
	"GET /pipelines/{name}/{pipeline}": {
		{request: get("/pipelines/checkout/checkout-prod"), allow: readPayments},
		{request: get("/pipelines/search-api/search-prod"), allow: readSearch},
	},
	// Any other address: the UI's "not found" page, or the API's JSON 404.
	"GET /{path...}": {{request: get("/no-such-page"), public: true, want: http.StatusNotFound},
		{request: get("/api/v1/no-such-route"), public: true, want: http.StatusNotFound}},
	"POST /applications/{name}/rollback": {{request: formReq("/applications/checkout/rollback", "environment=staging"), allow: deployStg}},
	"POST /applications/{name}/deploy":   {{request: formReq("/applications/checkout/deploy", "environment=staging&version=v8&pipeline=checkout-staging"), allow: deployStg}},
	"POST /executions/{id}/{action}": {
		{request: onExec("checkout-prod", "POST", "/executions/{id}/approve", "application/x-www-form-urlencoded", "comment=ok"), allow: approveProd},
		{request: onExec("checkout-staging", "POST", "/executions/{id}/cancel", "application/x-www-form-urlencoded", "reason=x"), allow: deployStg},
	},
}

// fixtures are the server, its callers' tokens and what probes start.
type fixtures struct {
	base    string
	admin   *client.Client
	starter *client.Client // starts executions; none of the callers, so four eyes never applies here
	tokens  map[string]string
	caller  string
}

func TestRoleMatrix(t *testing.T) {
	admin := startServer(t)
	ctx := context.Background()
	fx := &fixtures{base: admin.Base, admin: admin, tokens: map[string]string{"admin": admin.Token}}
	applyMatrixConfig(t, admin)
	for name, req := range map[string]api.TokenRequest{
		"tadmin":  {Role: model.RoleAdmin, Scope: model.Scope{Team: "payments"}},
		"vall":    {Role: model.RoleViewer},
		"vpay":    {Role: model.RoleViewer, Scope: model.Scope{Team: "payments"}},
		"dstg":    {Role: model.RoleDeployer, Scope: model.Scope{Application: "checkout", Environments: []string{"staging"}}},
		"dpay":    {Role: model.RoleDeployer, Scope: model.Scope{Team: "payments"}},
		"apprd":   {Role: model.RoleApprover, Scope: model.Scope{Team: "payments", Environments: []string{"production"}}},
		"revoked": {Role: model.RoleDeployer},
		"starter": {Role: model.RoleAdmin},
	} {
		// Each caller is someone else: the admin names its owner.
		req.Name, req.Owner = name, name+"@example.com"
		tok, err := admin.CreateToken(ctx, req)
		if err != nil {
			t.Fatalf("token %s: %v", name, err)
		}
		fx.tokens[name] = tok.Secret
	}
	if _, err := admin.RevokeToken(ctx, "revoked"); err != nil {
		t.Fatal(err)
	}
	fx.starter = client.New(admin.Base, fx.tokens["starter"])

	// Every registered route has a row, and every row a registered route.
	registered := map[string]bool{}
	for _, r := range routeTable() {
		key := r.Method + " " + r.Path
		registered[key] = true
		if _, ok := matrix[key]; !ok {
			t.Errorf("route %s has no row in the role matrix: add one that says who may call it (and, if the route is new, document its rule in docs/security.md)", key)
		}
	}
	for key := range matrix {
		if !registered[key] {
			t.Errorf("the role matrix has a row for %s, which the server does not register", key)
		}
	}

	for _, key := range slices.Sorted(func(yield func(string) bool) {
		for k := range matrix {
			if !yield(k) {
				return
			}
		}
	}) {
		for i, p := range matrix[key] {
			for _, caller := range callers {
				fx.caller = caller
				method, path, ct, body := p.request(t, fx)
				body = strings.ReplaceAll(body, "{caller}", caller)
				code, loc, text := fx.call(t, caller, method, path, ct, body)
				where := fmt.Sprintf("%s (probe %d: %s %s) as %s", key, i+1, method, path, caller)
				checkOutcome(t, where, p, caller, code, loc, text)
			}
		}
	}
}

// checkOutcome compares an answer with the row: allowed callers pass the
// gate (any status but 401 and 403, and for a page no redirect to the
// login), others get 403, and callers without a valid credential 401 (a
// page: a redirect to the login page).
func checkOutcome(t *testing.T, where string, p probe, caller string, code int, loc, text string) {
	t.Helper()
	page := !strings.Contains(where, " /api/") && !strings.Contains(where, "/healthz") && !strings.Contains(where, "/metrics")
	toLogin := code == http.StatusSeeOther && strings.HasPrefix(loc, "/login")
	switch {
	case p.public:
		if p.want != 0 && code != p.want {
			t.Errorf("%s: %d, want %d for a public route: %s", where, code, p.want, snippet(text))
		}
	case caller == "anon" || caller == "revoked":
		if page && !toLogin && !(caller == "revoked" && code == http.StatusUnauthorized) {
			t.Errorf("%s: %d %s, want a redirect to the login page: %s", where, code, loc, snippet(text))
		}
		if !page && code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401: %s", where, code, snippet(text))
		}
	case slices.Contains(strings.Fields(p.allow), caller):
		if code == http.StatusUnauthorized || code == http.StatusForbidden || toLogin {
			t.Errorf("%s: %d, want the call allowed: %s", where, code, snippet(text))
		}
	default:
		if code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403: %s", where, code, snippet(text))
		}
	}
}

func (fx *fixtures) call(t *testing.T, caller, method, path, contentType, body string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, fx.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method != http.MethodGet {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if tok := fx.tokens[caller]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, caller, err)
	}
	defer resp.Body.Close()
	var b []byte
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel() // a stream that opened is all a probe needs to see
	} else {
		b, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// start runs a pipeline as the starter and, for a gated one, waits until
// its judgment waits.
func (fx *fixtures) start(t *testing.T, pipeline string) string {
	t.Helper()
	ctx := context.Background()
	e, err := fx.starter.Run(ctx, pipeline, client.RunRequest{Params: map[string]string{"version": "v1"}})
	if err != nil {
		t.Fatalf("starting %s: %v", pipeline, err)
	}
	if !strings.HasSuffix(pipeline, "-prod") && pipeline != "search-prod-gated" {
		return e.ID
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	waiting := false
	_, err = fx.starter.Watch(wctx, e.ID, func(got *model.Execution) {
		for _, st := range got.Stages {
			if st.Status == model.StageWaiting || (st.Type == model.StageWait && st.Status == model.StageRunning) {
				waiting = true
				cancel() // the stream has shown what the probe needs
			}
		}
	})
	if !waiting {
		t.Fatalf("execution %s of %s never waited: %v", e.ID, pipeline, err)
	}
	return e.ID
}

// newToken creates a token for a probe to revoke and returns its name.
func (fx *fixtures) newToken(t *testing.T, spec string) string {
	t.Helper()
	var req api.TokenRequest
	if err := json.Unmarshal([]byte(spec), &req); err != nil {
		t.Fatal(err)
	}
	req.Name = fmt.Sprintf("victim-%s-%d", fx.caller, time.Now().UnixNano())
	if _, err := fx.admin.CreateToken(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	return req.Name
}

func (fx *fixtures) loginLink(t *testing.T) string {
	t.Helper()
	l, err := fx.admin.LoginLink(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(l.URL)
	return u.Query().Get("token")
}

// applyMatrixConfig stores two teams' applications, a staging and a
// production environment (four eyes), and pipelines whose deploys never
// start during the test (a one-hour wait, or a judgment, comes first).
func applyMatrixConfig(t *testing.T, admin *client.Client) {
	t.Helper()
	app := func(name, team string) model.Application {
		return model.Application{Name: name, Team: team, Run: model.RunSpec{Command: "sleep", Args: []string{"3600"}}, Instances: 1,
			HealthCheck: model.HealthCheck{Path: "/"}}
	}
	withSLO := func(a model.Application) model.Application {
		a.SLO = &model.AppSLO{Availability: 99.9}
		return a
	}
	wait := model.StageSpec{Name: "soak", Wait: &model.WaitStage{Duration: model.Duration(time.Hour)}}
	deploy := func(env string) model.StageSpec {
		return model.StageSpec{Name: "deploy-" + env, Deploy: &model.DeployStage{Environment: env, Strategy: model.Strategy{Type: model.StrategyHighlander}}}
	}
	gate := model.StageSpec{Name: "approve", Judgment: &model.JudgmentStage{}}
	version := []model.Parameter{{Name: "version", Required: true}}
	nightly := []model.TriggerSpec{{Name: "nightly", Schedule: &model.ScheduleTrigger{Cron: "@daily"}, Params: map[string]string{"version": `"nightly"`}}}
	cfg := model.Config{
		Teams:        []model.Team{{Name: "payments"}, {Name: "search"}},
		Applications: []model.Application{withSLO(app("checkout", "payments")), app("billing", "payments"), withSLO(app("search-api", "search"))},
		Environments: []model.Environment{
			{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"checkout": "127.0.0.1:1", "search-api": "127.0.0.1:2"}},
			{Name: "production", Production: true, FourEyes: true, Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"checkout": "127.0.0.1:3", "search-api": "127.0.0.1:4"}},
		},
		Pipelines: []model.Pipeline{
			{Name: "checkout-staging", Application: "checkout", Parameters: version, Stages: []model.StageSpec{wait, deploy("staging")}, Triggers: nightly},
			{Name: "checkout-prod", Application: "checkout", Parameters: version, Stages: []model.StageSpec{gate, deploy("production")}},
			{Name: "search-prod", Application: "search-api", Parameters: version, Stages: []model.StageSpec{wait, deploy("production")}, Triggers: nightly},
			{Name: "search-prod-gated", Application: "search-api", Parameters: version, Stages: []model.StageSpec{gate, deploy("production")}},
		},
		AnalysisTemplates: []model.AnalysisTemplate{{Name: "quick", Spec: model.AnalysisSpec{Judge: model.JudgeThreshold, MinRequests: 10}}},
		SLOs:              []model.SLO{storedSLO("checkout-errors", "checkout"), storedSLO("search-errors", "search-api")},
	}
	if _, err := admin.Apply(context.Background(), cfg); err != nil {
		t.Fatalf("applying the matrix config: %v", err)
	}
}

// storedSLO is an applied (OpenSLO) SLO of app on front-door data.
func storedSLO(name, app string) model.SLO {
	fd := func(m string) *model.MetricQuery {
		return &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: m}
	}
	return model.SLO{Name: name, Application: app, Environment: "production", Origin: "openslo",
		Indicator: model.SLI{Good: fd(model.FrontDoorGood), Total: fd(model.FrontDoorRequests)},
		Window:    model.SLOWindow{Count: 28, Unit: "d", Rolling: true}, Budgeting: model.BudgetOccurrences,
		Objectives: []model.Objective{{Target: 0.99}}}
}

// routeTable lists every route a server registers, API and UI.
func routeTable() []api.Route {
	a := authn.New(authn.Config{})
	return api.New(api.Config{Auth: a, Registry: prometheus.NewRegistry(), Extra: web.Mount(web.Config{Auth: a})}).Routes()
}

func snippet(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
