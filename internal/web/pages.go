package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// appsPerPage is how many applications / shows at a time.
const appsPerPage = 50

// appsPage is the applications page: one page of applications by name,
// and the name the next page starts after ("" on the last page).
type appsPage struct {
	Apps []appView
	// After is the ?after= of this page; Next that of the next page.
	After, Next string
}

// applications renders / : a page of applications (?after=NAME for the
// next) and their clusters, in a fixed number of queries however many
// applications and environments there are (TestApplicationsPageQueries).
func (h *ui) applications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rd := auth.ReadableFrom(ctx)
	var apps []model.Application
	if !rd.None() {
		var err error
		after := r.URL.Query().Get("after")
		if apps, err = h.cfg.Store.ApplicationList(ctx, store.ApplicationListParams{Applications: rd.Names(), After: after, Limit: appsPerPage}); err != nil {
			h.fail(w, r, err, "Applications")
			return
		}
	}
	d := appsPage{After: r.URL.Query().Get("after"), Apps: make([]appView, 0, len(apps))}
	if len(apps) == appsPerPage {
		d.Next = apps[len(apps)-1].Name
	}
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = a.Name
	}
	ov, err := h.cfg.Status.Overview(ctx, names)
	if err != nil {
		h.fail(w, r, err, "Applications")
		return
	}
	now := h.cfg.Now()
	badges := h.sloBadges(r, apps)
	for _, a := range apps {
		v := appView{App: a, Last: summarize(ov.Latest[a.Name], now), SLOs: badges[a.Name]}
		if st := ov.Statuses[a.Name]; st != nil {
			v.Envs = buildEnvs(st, now)
		}
		d.Apps = append(d.Apps, v)
	}
	// The overview's executions come without stages: one more read finds
	// which running ones wait for a person.
	if len(names) > 0 {
		running, err := h.cfg.Store.ExecutionList(ctx, store.ExecutionListParams{Applications: names, Statuses: []model.ExecutionStatus{model.ExecutionRunning}, Limit: 500})
		if err != nil {
			h.fail(w, r, err, "Applications")
			return
		}
		byID := make(map[string]*model.Execution, len(running))
		for i := range running {
			byID[running[i].ID] = &running[i]
		}
		markWaiting(d.Apps, byID)
	}
	h.render(w, r, http.StatusOK, "applications.html", page{Title: "Applications", Nav: "apps", Live: "/api/v1/stream", Data: d})
}

// appView is an application's clusters and its last execution (the first
// of recent, newest first, when there is one).
func (h *ui) appView(r *http.Request, a model.Application, recent []model.Execution) (appView, error) {
	v := appView{App: a}
	st, err := h.cfg.Status.Status(r.Context(), a.Name)
	if err != nil {
		return v, err
	}
	v.Envs = buildEnvs(st, h.cfg.Now())
	v.SLOs = h.sloBadges(r, []model.Application{a})[a.Name]
	if len(recent) > 0 {
		v.Last = summarize(&recent[0], h.cfg.Now())
	}
	return v, nil
}

// recentExecutions is how many executions the application page shows; the
// executions page has the rest.
const recentExecutions = 20

// appDetail is the application page.
type appDetail struct {
	appView
	Executions []execSummary
	// MoreExecutions: there may be older executions than those shown.
	MoreExecutions bool
	Environments   []string
	Pipelines      []model.Pipeline
	deployFormView
	// Notice is a message from a no-JS action, e.g. ?rolledback=ID.
	Notice string
	// MayDeploy and MayRollback (per environment) say whether the viewer's
	// grants allow those actions; the page leaves out what would be refused.
	MayDeploy   bool
	MayRollback map[string]bool
}

// application renders /applications/{name}.
func (h *ui) application(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := h.cfg.Store.ApplicationGet(ctx, r.PathValue("name"))
	if err != nil {
		h.fail(w, r, err, "Application "+r.PathValue("name"))
		return
	}
	now := h.cfg.Now()
	execs, err := h.cfg.Store.ExecutionList(ctx, store.ExecutionListParams{Application: a.Name, Limit: recentExecutions})
	if err != nil {
		h.fail(w, r, err, "Executions")
		return
	}
	av, err := h.appView(r, *a, execs)
	if err != nil {
		h.fail(w, r, err, "Application "+a.Name)
		return
	}
	d := appDetail{appView: av, MoreExecutions: len(execs) == recentExecutions}
	for i := range execs {
		d.Executions = append(d.Executions, *summarize(&execs[i], now))
	}
	envs, err := h.cfg.Store.EnvironmentList(ctx)
	if err != nil {
		h.fail(w, r, err, "Environments")
		return
	}
	p, pol := auth.From(ctx), auth.PolicyFrom(ctx)
	d.MayDeploy, d.MayRollback = p.CanSomewhere(auth.PermDeploy, pol.App(a.Name)), map[string]bool{}
	for _, e := range envs {
		d.Environments = append(d.Environments, e.Name)
		d.MayRollback[e.Name] = p.Can(auth.PermDeploy, pol.App(a.Name, e.Name))
	}
	sort.Strings(d.Environments)
	if d.Pipelines, err = h.cfg.Store.PipelineList(ctx, store.PipelineListParams{Application: a.Name}); err != nil {
		h.fail(w, r, err, "Pipelines")
		return
	}
	last := ""
	for _, e := range d.Executions {
		if e.Version != "" {
			last = e.Version
			break
		}
	}
	d.deployFormView = deployForm(d.Pipelines, last)
	h.render(w, r, http.StatusOK, "application.html", page{Title: a.Name, Nav: "apps", Live: "/api/v1/stream", Data: d})
}

// confirmRollback is the no-JS confirmation step of a rollback.
func (h *ui) confirmRollback(w http.ResponseWriter, r *http.Request) {
	a, err := h.cfg.Store.ApplicationGet(r.Context(), r.PathValue("name"))
	if err != nil {
		h.fail(w, r, err, "Application "+r.PathValue("name"))
		return
	}
	env := r.URL.Query().Get("environment")
	back := "/applications/" + url.PathEscape(a.Name)
	st, err := h.cfg.Status.Status(r.Context(), a.Name)
	if err != nil {
		h.fail(w, r, err, "Application "+a.Name)
		return
	}
	var preview *deploy.RollbackPreview
	for _, es := range st.Environments {
		if es.Environment == env {
			preview = es.Rollback
		}
	}
	if preview == nil {
		detail := fmt.Sprintf("environment %q: %s has no server groups there", env, a.Name)
		if env == "" {
			detail = "environment: none was chosen"
		}
		h.render(w, r, http.StatusBadRequest, "error.html", page{Title: "Rollback not started", Nav: "apps", Data: errorView{
			Title: "Nothing to roll back", Detail: detail, Hint: "Use the Roll back button of an environment on the application's page.", Back: back}})
		return
	}
	h.render(w, r, http.StatusOK, "confirm.html", page{Title: "Roll back " + a.Name, Nav: "apps", Data: confirmRollbackView{App: a.Name, Env: env, Preview: *preview}})
}

// confirmRollbackView is the no-JS rollback confirmation: the environment
// is the one chosen on the application page (fixed), and the preview says
// what the rollback will do.
type confirmRollbackView struct {
	App, Env string
	Preview  deploy.RollbackPreview
}

// confirmCancel is the no-JS confirmation step of a cancel.
func (h *ui) confirmCancel(w http.ResponseWriter, r *http.Request) {
	e := api.LoadedExecution(r)
	h.render(w, r, http.StatusOK, "confirm_cancel.html", page{Title: "Cancel " + e.ID, Nav: "apps", Data: e})
}

// execution renders /executions/{id}.
func (h *ui) execution(w http.ResponseWriter, r *http.Request) {
	e := api.LoadedExecution(r)
	v := buildExec(e, h.cfg.Now())
	p, pol := auth.From(r.Context()), auth.PolicyFrom(r.Context())
	v.MayCancel = p.Can(auth.PermDeploy, pol.App(e.Application, auth.RunEnvironments(e.Spec)...))
	if v.Waiting != "" {
		v.MayJudge = p.Can(auth.PermApprove, pol.App(e.Application, auth.ApprovalEnvironments(e.Spec, v.Waiting)...))
	}
	if v.Canary != "" {
		v.MayControl = p.Can(auth.PermApprove, pol.App(e.Application, auth.ApprovalEnvironments(e.Spec, v.Canary)...))
	}
	if v.Retry != "" {
		v.MayRetry = p.Can(auth.PermApprove, pol.App(e.Application, auth.ApprovalEnvironments(e.Spec, v.Retry)...))
	}
	h.render(w, r, http.StatusOK, "execution.html", page{Title: e.Pipeline + " " + shortID(e.ID), Nav: "executions", Live: liveURL(e), Data: v})
}

// analysis renders /executions/{id}/analysis.
func (h *ui) analysis(w http.ResponseWriter, r *http.Request) {
	e := api.LoadedExecution(r)
	recs, err := h.cfg.Store.AnalysisList(r.Context(), e.ID)
	if err != nil {
		h.fail(w, r, err, "Analysis")
		return
	}
	v := buildAnalysis(*summarize(e, h.cfg.Now()), recs)
	h.render(w, r, http.StatusOK, "analysis.html", page{Title: "Canary analysis " + shortID(e.ID), Nav: "executions", Live: liveURL(e), Data: v})
}

// liveURL is the stream a page of a running execution follows ("" once it ended).
func liveURL(e *model.Execution) string {
	if e.Status.Terminal() {
		return ""
	}
	return "/api/v1/executions/" + e.ID + "/stream"
}

// eventsPerPage is how many events /events shows at a time.
const eventsPerPage = 100

// eventsPage is the delivery events page.
type eventsPage struct {
	Events []eventView
	// The filters, as in the query string.
	Application, Environment, Kind string
	Kinds                          []model.EventKind
	// Newest, Older and Newer are the addresses of the newest page and the
	// pages before and after this one ("" when there is none).
	Newest, Older, Newer string
}

// eventKinds are the event kinds the events page filters by.
var eventKinds = []model.EventKind{model.EventExecutionStarted, model.EventExecutionFinished, model.EventDeployStarted, model.EventDeploySucceeded,
	model.EventDeployFailed, model.EventRolledBack, model.EventWaveStarted, model.EventManualStep, model.EventTrafficApproximated,
	model.EventJudgmentWaiting, model.EventCanaryVerdict}

// events renders /events: the newest delivery events, filtered by
// application, environment and kind, a page at a time: ?before=ID shows
// the ones older than event ID, ?after=ID the ones newer.
func (h *ui) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := eventsPage{Application: q.Get("application"), Environment: q.Get("environment"), Kind: q.Get("kind"), Kinds: eventKinds}
	p := store.EventListParams{Application: d.Application, Environment: d.Environment, Newest: true, Limit: eventsPerPage}
	if err := parseEventPage(q, &d, &p); err != nil {
		h.fail(w, r, err, "Events")
		return
	}
	app := d.Application
	if app != "" {
		if _, err := h.cfg.Store.ApplicationGet(r.Context(), app); err != nil {
			h.fail(w, r, err, "Application "+app)
			return
		}
	}
	rd := auth.ReadableFrom(r.Context())
	if app != "" && !rd.Has(app) {
		h.fail(w, r, auth.From(r.Context()).Check(auth.PermRead, auth.PolicyFrom(r.Context()).App(app)), "Events")
		return
	}
	var evs []model.Event
	if !rd.None() {
		var err error
		p.Applications = rd.Names()
		evs, err = h.cfg.Store.EventList(r.Context(), p)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.fail(w, r, err, "Events")
			return
		}
	}
	d.Events = buildEvents(evs)
	eventPager(&d, p, evs)
	h.render(w, r, http.StatusOK, "events.html", page{Title: "Delivery events", Nav: "events", Live: "/api/v1/stream", Data: d})
}

// parseEventPage checks the events page's filters and cursor into p.
func parseEventPage(q url.Values, d *eventsPage, p *store.EventListParams) error {
	for field, v := range map[string]string{"application": d.Application, "environment": d.Environment} {
		if len(v) > maxFilterName {
			return fmt.Errorf("%w: events filter %s is %d characters long, at most %d: shorten it", errBadFilter, field, len(v), maxFilterName)
		}
	}
	if d.Kind != "" {
		if !slices.Contains(eventKinds, model.EventKind(d.Kind)) {
			return fmt.Errorf("%w: events filter kind %q is not an event kind: pick one from the list, or leave it empty", errBadFilter, shorten(d.Kind, 40))
		}
		p.Kinds = []model.EventKind{model.EventKind(d.Kind)}
	}
	for _, c := range []struct {
		name string
		to   *int64
	}{{"before", &p.BeforeID}, {"after", &p.AfterID}} {
		v := q.Get(c.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || len(v) > 20 {
			return fmt.Errorf("%w: events page cursor %s %q is not an event ID: follow the page's Older or Newer link, or start again at /events", errBadFilter, c.name, shorten(v, 40))
		}
		*c.to = n
	}
	if p.AfterID > 0 {
		p.Newest = false // the oldest events after the cursor, so paging forward misses none
	}
	return nil
}

// eventPager sets the links to the newest, older and newer pages of the
// events evs (ascending), read with p.
func eventPager(d *eventsPage, p store.EventListParams, evs []model.Event) {
	q := url.Values{}
	for k, v := range map[string]string{"application": d.Application, "environment": d.Environment, "kind": d.Kind} {
		if v != "" {
			q.Set(k, v)
		}
	}
	paged := p.BeforeID > 0 || p.AfterID > 0
	if paged {
		d.Newest = pageURL("/events", q)
	}
	if len(evs) == 0 {
		return
	}
	full := len(evs) == p.Limit
	if (p.Newest && full) || p.AfterID > 0 {
		older := cloneValues(q)
		older.Set("before", strconv.FormatInt(evs[0].ID, 10))
		d.Older = pageURL("/events", older)
	}
	if p.BeforeID > 0 || (p.AfterID > 0 && full) {
		newer := cloneValues(q)
		newer.Set("after", strconv.FormatInt(evs[len(evs)-1].ID, 10))
		d.Newer = pageURL("/events", newer)
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
