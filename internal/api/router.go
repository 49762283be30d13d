package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Target says where a route's resource (the application it is about) comes from.
type Target int

const (
	// OnCaller: the route is about nothing beyond the caller; any logged-in
	// caller may call it and the handler shows only what they may read.
	OnCaller Target = iota
	// OnGlobal: objects of no application (environments' config, teams,
	// grants, tokens, the audit log); Perm is needed over everything.
	OnGlobal
	// OnAppPath: the application named by the {name} path value.
	OnAppPath
	// OnExecutionPath: the application of the execution {id}.
	OnExecutionPath
	// OnPipelinePath: the application of the pipeline {name} (or
	// {pipeline}, on a trigger's routes).
	OnPipelinePath
	// OnSLOPath: the application of the stored (OpenSLO) SLO {name}.
	OnSLOPath
)

// Access is a route's authorization rule. Every route has one: Handle
// takes it, and the role matrix test walks Routes().
type Access struct {
	// Public routes need no credential (health, metrics, static files, the
	// login flow). Nothing else is public.
	Public bool
	// Signed routes need no session or token either: the handler
	// authenticates each request by a signature over its body made with a
	// secret of the config (a trigger's webhook), and refuses it otherwise.
	// Cross-site protection does not apply to them.
	Signed bool
	// Perm is what the caller needs on the route's resource; "" with
	// OnCaller means any logged-in caller.
	Perm auth.Permission
	On   Target
	// Narrowed says the handler checks further, on what the request names
	// (an environment, a stage, the objects of a config) or filters a list.
	Narrowed string
	// Page routes answer a missing credential with a redirect to the login
	// page and a refusal with an HTML page, instead of JSON.
	Page bool
	// Action names what the route does in the audit log (refusals at the
	// gate are recorded under it); "" for reads, recorded as "access".
	Action model.AuditAction
}

// Route is a registered route and its rule.
type Route struct {
	Method, Path string
	Access       Access
}

// Router registers routes with their access rules on one mux.
type Router struct {
	s      *Server
	mux    *http.ServeMux
	routes []Route
	// Denied renders why a page route's rule refused a request or could
	// not decide (set by the UI).
	Denied func(w http.ResponseWriter, r *http.Request, err error)
}

// Handle registers h for pattern ("METHOD /path") under rule acc.
func (rt *Router) Handle(pattern string, acc Access, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		panic("api: route " + pattern + " has no method")
	}
	if !acc.Public && acc.Perm == "" && acc.On != OnCaller {
		panic("api: route " + pattern + " names a resource but no permission")
	}
	if acc.Signed && (acc.Public || acc.Perm != "" || acc.On != OnCaller || acc.Page) {
		panic("api: route " + pattern + " is signed: its handler alone authenticates it, so it takes no other rule")
	}
	rt.routes = append(rt.routes, Route{Method: method, Path: path, Access: acc})
	rt.mux.Handle(pattern, rt.guard(acc, h))
}

// HandleFunc is Handle for a function.
func (rt *Router) HandleFunc(pattern string, acc Access, h http.HandlerFunc) {
	rt.Handle(pattern, acc, h)
}

// Routes lists every registered route with its rule.
func (rt *Router) Routes() []Route { return append([]Route(nil), rt.routes...) }

// guard enforces acc before h: a credential (unless public), then the
// permission on the route's resource. A refusal is audited.
func (rt *Router) guard(acc Access, h http.Handler) http.Handler {
	if acc.Public || acc.Signed {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		if !p.Authenticated() {
			rt.unauthenticated(w, r, acc)
			return
		}
		// One snapshot of the access config decides the request: this
		// rule and the handler's further checks (auth.PolicyFrom).
		pol, err := rt.s.cfg.Auth.Policy(r.Context())
		if err != nil {
			rt.fail(w, r, acc, err)
			return
		}
		r = r.WithContext(auth.WithPolicy(r.Context(), pol))
		if acc.Perm == "" {
			h.ServeHTTP(w, r)
			return
		}
		if acc.On == OnCaller {
			if !p.Holds(acc.Perm) {
				rt.refuse(w, r, acc, p.Check(acc.Perm, auth.Global), "")
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		res, obj, err := rt.resource(r, pol, acc.On)
		if err != nil {
			rt.fail(w, r, acc, err)
			return
		}
		if !p.CanSomewhere(acc.Perm, res) {
			rt.refuse(w, r, acc, p.Check(acc.Perm, res), res.Application)
			return
		}
		if obj != nil {
			r = r.WithContext(context.WithValue(r.Context(), loadedKey{}, obj))
		}
		h.ServeHTTP(w, r)
	})
}

// resource finds what a route is about, and returns the execution or
// pipeline it read to find out (handlers take it from the request's
// context with LoadedExecution and loadedPipeline instead of reading it
// again).
func (rt *Router) resource(r *http.Request, pol auth.Policy, on Target) (auth.Resource, any, error) {
	ctx := r.Context()
	switch on {
	case OnAppPath:
		name := r.PathValue("name")
		if _, ok := pol.AppTeams[name]; !ok {
			if _, err := rt.s.cfg.Store.ApplicationGet(ctx, name); err != nil {
				return auth.Resource{}, nil, err
			}
		}
		return pol.App(name), nil, nil
	case OnExecutionPath:
		exec, err := rt.s.cfg.Store.ExecutionGet(ctx, r.PathValue("id"))
		if err != nil {
			return auth.Resource{}, nil, err
		}
		return pol.App(exec.Application), exec, nil
	case OnPipelinePath:
		name := r.PathValue("name")
		if name == "" {
			name = r.PathValue("pipeline") // a trigger's route: /triggers/{app}/{pipeline}/{trigger}
		}
		pl, err := rt.s.cfg.Store.PipelineGet(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return auth.Resource{}, nil, fmt.Errorf("%w: pipeline %q does not exist: list pipelines with `gennaker pipelines` or apply its config with `gennaker apply -f DIR`", store.ErrNotFound, truncate(name, 100))
		}
		if err != nil {
			return auth.Resource{}, nil, err
		}
		return pol.App(pl.Application), pl, nil
	case OnSLOPath:
		name := r.PathValue("name")
		sl, err := rt.s.cfg.Store.SLOGet(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return auth.Resource{}, nil, fmt.Errorf("%w: no applied SLO %q: list SLOs with `gennaker slo list` (an application's slo: shorthand goes by applying the application without it)", store.ErrNotFound, truncate(name, 100))
		}
		if err != nil {
			return auth.Resource{}, nil, err
		}
		return pol.App(sl.Application), sl, nil
	}
	return auth.Global, nil, nil
}

type loadedKey struct{}

// LoadedExecution is the execution that the rule of a route on an
// execution (OnExecutionPath) read to decide; its handler, an API route or
// a page, takes it instead of reading it again.
func LoadedExecution(r *http.Request) *model.Execution {
	e, _ := r.Context().Value(loadedKey{}).(*model.Execution)
	return e
}

// loadedPipeline is the pipeline that the rule of a route on a pipeline
// (OnPipelinePath) read to decide.
func loadedPipeline(r *http.Request) *model.Pipeline {
	p, _ := r.Context().Value(loadedKey{}).(*model.Pipeline)
	return p
}

func (rt *Router) unauthenticated(w http.ResponseWriter, r *http.Request, acc Access) {
	bad := badCredential(r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		var why any = "no credential"
		if bad != nil {
			why = bad
		}
		e := rt.s.cfg.Audit.Entry(r, auditAction(acc), audit.RequestObject(r), "")
		rt.s.cfg.Audit.Record(r.Context(), e, model.AuditRefused, why)
	}
	if bad != nil && !acc.Page {
		rt.s.writeError(w, r, bad)
		return
	}
	if acc.Page {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	rt.s.writeError(w, r, fmt.Errorf("%w: send an API token as `Authorization: Bearer TOKEN` (the CLI reads it from its config file, --token or GENNAKER_TOKEN; create one with `gennaker token create`), or log in to the UI", auth.ErrUnauthenticated))
}

func auditAction(acc Access) model.AuditAction {
	if acc.Action != "" {
		return acc.Action
	}
	return model.AuditAccess
}

func (rt *Router) refuse(w http.ResponseWriter, r *http.Request, acc Access, err error, app string) {
	e := rt.s.cfg.Audit.Entry(r, auditAction(acc), audit.RequestObject(r), app)
	rt.s.cfg.Audit.Record(r.Context(), e, model.AuditRefused, err)
	rt.fail(w, r, acc, err)
}

func (rt *Router) fail(w http.ResponseWriter, r *http.Request, acc Access, err error) {
	if acc.Page && rt.Denied != nil {
		rt.Denied(w, r, err)
		return
	}
	rt.s.writeError(w, r, err)
}

// ServeHTTP dispatches a request that has already passed the server's
// checks (host, origin, authentication) to its route, whose rule still
// applies. The UI forwards its no-JavaScript forms through it, carrying the
// caller in the request's context.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }
