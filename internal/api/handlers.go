package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request) {
	var p store.ApplicationListParams
	var err error
	if p.Limit, p.After, err = namePage(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	rd := auth.ReadableFrom(r.Context())
	if rd.None() {
		writeJSON(w, http.StatusOK, []model.Application{})
		return
	}
	p.Applications = rd.Names()
	apps, err := s.cfg.Store.ApplicationList(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(apps) == p.Limit {
		setNextLink(w, r, encodeNameCursor(apps[len(apps)-1].Name))
	}
	writeJSON(w, http.StatusOK, nonNil(apps))
}

func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) {
	app, err := s.cfg.Store.ApplicationGet(r.Context(), r.PathValue("name"))
	respond(s, w, r, app, err)
}

func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request) {
	if err := requireGrant(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	envs, err := s.cfg.Store.EnvironmentList(r.Context())
	respond(s, w, r, nonNil(envs), err)
}

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) {
	p := store.PipelineListParams{Application: r.URL.Query().Get("application")}
	var err error
	if p.Limit, p.After, err = namePage(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	rd := auth.ReadableFrom(r.Context())
	if rd.None() || (p.Application != "" && !rd.Has(p.Application)) {
		writeJSON(w, http.StatusOK, []model.Pipeline{})
		return
	}
	p.Applications = rd.Names()
	pls, err := s.cfg.Store.PipelineList(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(pls) == p.Limit {
		setNextLink(w, r, encodeNameCursor(pls[len(pls)-1].Name))
	}
	writeJSON(w, http.StatusOK, nonNil(pls))
}

// namePage reads the page of a list ordered by name: ?limit= (default
// 100, at most maxNamePage) and ?cursor=, the cursor of the previous
// answer's Link header.
func namePage(q url.Values) (limit int, after string, err error) {
	if limit, err = queryLimit(q, maxNamePage, 100); err != nil {
		return 0, "", err
	}
	if c := q.Get("cursor"); c != "" {
		if after, err = decodeNameCursor(c); err != nil {
			return 0, "", err
		}
	}
	return limit, after, nil
}

// setNextLink sets the Link header to the next page: this request's URL
// with ?cursor= set to cursor.
func setNextLink(w http.ResponseWriter, r *http.Request, cursor string) {
	next := cloneQuery(r.URL.Query())
	next.Set("cursor", cursor)
	w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", r.URL.Path, next.Encode()))
}

func (s *Server) getPipeline(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, loadedPipeline(r))
}

func (s *Server) listAnalysisTemplates(w http.ResponseWriter, r *http.Request) {
	if err := requireGrant(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	ts, err := s.cfg.Store.AnalysisTemplateList(r.Context())
	respond(s, w, r, nonNil(ts), err)
}

func (s *Server) getAnalysisTemplate(w http.ResponseWriter, r *http.Request) {
	if err := requireGrant(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.cfg.Store.AnalysisTemplateGet(r.Context(), r.PathValue("name"))
	respond(s, w, r, t, err)
}

func (s *Server) listExecutions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := store.ExecutionListParams{Application: q.Get("application"), Pipeline: q.Get("pipeline")}
	if v := q.Get("status"); v != "" {
		for _, st := range strings.Split(v, ",") {
			switch es := model.ExecutionStatus(strings.TrimSpace(st)); es {
			case model.ExecutionRunning, model.ExecutionSucceeded, model.ExecutionFailed, model.ExecutionCanceled:
				p.Statuses = append(p.Statuses, es)
			default:
				s.writeError(w, r, fmt.Errorf("%w: query parameter status: %q is not an execution status: use running, succeeded, failed or canceled (comma separated)", errBadInput, truncate(st, 40)))
				return
			}
		}
	}
	var err error
	if p.Limit, err = queryLimit(q, maxExecutionPage, 50); err != nil {
		s.writeError(w, r, err)
		return
	}
	if c := q.Get("cursor"); c != "" {
		if p.Before, err = decodeCursor(c); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	rd := auth.ReadableFrom(r.Context())
	if rd.None() || (p.Application != "" && !rd.Has(p.Application)) {
		writeJSON(w, http.StatusOK, []model.Execution{})
		return
	}
	p.Applications = rd.Names()
	execs, err := s.cfg.Store.ExecutionList(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(execs) == p.Limit {
		setNextLink(w, r, encodeCursor(execs[len(execs)-1]))
	}
	writeJSON(w, http.StatusOK, nonNil(execs))
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, LoadedExecution(r))
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := store.EventListParams{Application: q.Get("application"), Environment: q.Get("environment"), Newest: q.Get("after") == ""}
	for _, k := range strings.Split(q.Get("kind"), ",") {
		if k != "" {
			p.Kinds = append(p.Kinds, model.EventKind(truncate(k, 64)))
		}
	}
	after, err := queryInt(q, "after", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p.AfterID = int64(after)
	if p.Limit, err = queryLimit(q, maxEventPage, 100); err != nil {
		s.writeError(w, r, err)
		return
	}
	rd := auth.ReadableFrom(r.Context())
	if rd.None() || (p.Application != "" && !rd.Has(p.Application)) {
		writeJSON(w, http.StatusOK, []model.Event{})
		return
	}
	p.Applications = rd.Names()
	evs, err := s.cfg.Store.EventList(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(evs) == p.Limit && !p.Newest {
		next := cloneQuery(q)
		next.Set("after", strconv.FormatInt(evs[len(evs)-1].ID, 10))
		w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", r.URL.Path, next.Encode()))
	}
	writeJSON(w, http.StatusOK, nonNil(evs))
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Deployer == nil {
		s.writeError(w, r, errNotImplemented)
		return
	}
	st, err := s.cfg.Deployer.Status(r.Context(), r.PathValue("name"))
	respond(s, w, r, st, err)
}

func (s *Server) logs(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Deployer == nil {
		s.writeError(w, r, errNotImplemented)
		return
	}
	tail, err := queryInt(r.URL.Query(), "tail", 1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if tail == 0 {
		tail = 100
	}
	if tail > 10000 {
		s.writeError(w, r, fmt.Errorf("%w: tail=%d is over the maximum of 10000 lines", errBadInput, tail))
		return
	}
	app, env := r.PathValue("name"), r.URL.Query().Get("environment")
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		groups, err := s.cfg.Deployer.GroupLogs(r.Context(), app, env, tail)
		respond(s, w, r, groups, err)
		return
	}
	out, err := s.cfg.Deployer.Logs(r.Context(), app, env, tail)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(out))
}

func (s *Server) analysis(w http.ResponseWriter, r *http.Request) {
	recs, err := s.cfg.Store.AnalysisList(r.Context(), r.PathValue("id"))
	respond(s, w, r, nonNil(recs), err)
}

// whoami describes the caller: who they are, their teams and grants.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	type binding struct {
		Role   model.Role  `json:"role"`
		Scope  model.Scope `json:"scope"`
		Source string      `json:"source"`
	}
	out := struct {
		Subject  string             `json:"subject"`
		Kind     model.IdentityKind `json:"kind"`
		Name     string             `json:"name,omitempty"`
		Teams    []string           `json:"teams"`
		Bindings []binding          `json:"grants"`
	}{Subject: p.Identity.Subject, Kind: p.Identity.Kind, Name: p.Identity.Name, Teams: nonNil(p.Teams), Bindings: []binding{}}
	for _, b := range p.Bindings {
		out.Bindings = append(out.Bindings, binding{b.Role, b.Scope, b.Source})
	}
	writeJSON(w, http.StatusOK, out)
}

func respond[T any](s *Server, w http.ResponseWriter, r *http.Request, v T, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// queryInt reads an integer query parameter of at least min; 0 when absent.
func queryInt(q url.Values, name string, min int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		return 0, fmt.Errorf("%w: query parameter %s=%q: give a whole number of at least %d", errBadInput, name, truncate(v, 40), min)
	}
	return n, nil
}

// queryLimit reads the limit of a list: def when absent, an error over max.
func queryLimit(q url.Values, max, def int) (int, error) {
	n, err := queryInt(q, "limit", 1)
	if err != nil {
		return 0, err
	}
	switch {
	case n == 0:
		return def, nil
	case n > max:
		return 0, fmt.Errorf("%w: limit=%d is over the maximum of %d: ask for at most %d and fetch the rest page by page", errBadInput, n, max, max)
	}
	return n, nil
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
