package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// execsPerPage is how many executions /executions shows at a time.
const execsPerPage = 50

// Size limits of the pages' filters: names are at most this long, and a
// longer value is refused with an error naming the field.
const (
	maxFilterName   = 200
	maxFilterCursor = 400
)

// errBadFilter marks a filter a page cannot use; the page answers 400 and
// says which field and what to do.
var errBadFilter = errors.New("bad filter")

// execFilter is the executions page's filters, as in its query string.
type execFilter struct {
	Application, Pipeline, Status, Trigger, Actor string
	// Since and Until are as typed ("2026-11-27T10:00" or a date), local time.
	Since, Until string
}

// execsPage is the executions page.
type execsPage struct {
	Filter     execFilter
	Executions []execSummary
	// Statuses and Triggers are the choices of the filter form.
	Statuses, Triggers []string
	// First is the address of the first page with the same filters ("" on
	// the first page); Next that of the next page ("" on the last).
	First, Next string
}

// The time forms the since and until filters accept, in the server's time zone.
var filterTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"}

// parseExecFilter reads and checks the filters of q into list params.
func parseExecFilter(q url.Values) (execFilter, store.ExecutionListParams, error) {
	f := execFilter{Application: q.Get("application"), Pipeline: q.Get("pipeline"), Status: q.Get("status"),
		Trigger: q.Get("trigger"), Actor: q.Get("actor"), Since: q.Get("since"), Until: q.Get("until")}
	p := store.ExecutionListParams{Application: f.Application, Pipeline: f.Pipeline, TriggerKind: f.Trigger, Actor: f.Actor, Limit: execsPerPage}
	for field, v := range map[string]string{"application": f.Application, "pipeline": f.Pipeline, "trigger": f.Trigger, "actor": f.Actor, "since": f.Since, "until": f.Until} {
		if len(v) > maxFilterName {
			return f, p, fmt.Errorf("%w: executions filter %s is %d characters long, at most %d: shorten it", errBadFilter, field, len(v), maxFilterName)
		}
	}
	if f.Status != "" {
		s := model.ExecutionStatus(f.Status)
		switch s {
		case model.ExecutionRunning, model.ExecutionSucceeded, model.ExecutionFailed, model.ExecutionCanceled:
			p.Statuses = []model.ExecutionStatus{s}
		default:
			return f, p, fmt.Errorf("%w: executions filter status %q is not an execution status: use running, succeeded, failed or canceled", errBadFilter, shorten(f.Status, 40))
		}
	}
	var err error
	if p.Since, err = parseFilterTime("since", f.Since); err != nil {
		return f, p, err
	}
	if p.Until, err = parseFilterTime("until", f.Until); err != nil {
		return f, p, err
	}
	if !p.Since.IsZero() && !p.Until.IsZero() && !p.Until.After(p.Since) {
		return f, p, fmt.Errorf("%w: executions filter until (%s) is not after since (%s): swap them or widen the range", errBadFilter, f.Until, f.Since)
	}
	if c := q.Get("after"); c != "" {
		if len(c) > maxFilterCursor {
			return f, p, fmt.Errorf("%w: executions page cursor after is too long: follow the page's Next link, or start again at /executions", errBadFilter)
		}
		if p.Before, err = api.ParseExecutionCursor(c); err != nil {
			return f, p, fmt.Errorf("%w: executions page cursor after: %v", errBadFilter, err)
		}
	}
	return f, p, nil
}

// parseFilterTime reads a since or until filter in the server's time zone.
func parseFilterTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range filterTimeLayouts {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(v), time.Local); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: executions filter %s %q is not a time: write it as 2026-11-27T10:00 (server time) or 2026-11-27", errBadFilter, field, shorten(v, 40))
}

// query is the filter's query string, without the empty fields.
func (f execFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"application": f.Application, "pipeline": f.Pipeline, "status": f.Status, "trigger": f.Trigger,
		"actor": f.Actor, "since": f.Since, "until": f.Until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// executions renders /executions: a page of executions, newest first,
// filtered by the query string, in two reads of the store (the
// executions, their stages) however many it shows.
func (h *ui) executions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, p, err := parseExecFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, err, "Executions")
		return
	}
	if f.Application != "" {
		// An unknown application is a 404, as on its own page.
		if _, err := h.cfg.Store.ApplicationGet(ctx, f.Application); err != nil {
			h.fail(w, r, err, "Application "+f.Application)
			return
		}
	}
	rd := auth.ReadableFrom(ctx)
	if f.Application != "" && !rd.Has(f.Application) {
		h.fail(w, r, auth.From(ctx).Check(auth.PermRead, auth.PolicyFrom(ctx).App(f.Application)), "Executions")
		return
	}
	d := execsPage{Filter: f, Statuses: []string{"running", "succeeded", "failed", "canceled"}, Triggers: []string{"manual", "api", "deploy", "rollback", "demo"}}
	var execs []model.Execution
	if !rd.None() {
		p.Applications = rd.Names()
		if execs, err = h.cfg.Store.ExecutionList(ctx, p); err != nil {
			h.fail(w, r, err, "Executions")
			return
		}
	}
	now := h.cfg.Now()
	for i := range execs {
		d.Executions = append(d.Executions, *summarize(&execs[i], now))
	}
	q := f.query()
	if p.Before != nil {
		d.First = pageURL("/executions", q)
	}
	if len(execs) == p.Limit {
		q.Set("after", api.ExecutionCursor(execs[len(execs)-1]))
		d.Next = pageURL("/executions", q)
	}
	h.render(w, r, http.StatusOK, "executions.html", page{Title: "Executions", Nav: "executions", Live: "/api/v1/stream", Data: d})
}

// pageURL is path with the query q ("" when q is empty).
func pageURL(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
