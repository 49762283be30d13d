package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func (s *Server) currentConfig(r *http.Request) (model.Config, error) {
	ctx := r.Context()
	var cfg model.Config
	var err error
	if cfg.Applications, err = s.cfg.Store.ApplicationList(ctx); err != nil {
		return cfg, err
	}
	if cfg.Environments, err = s.cfg.Store.EnvironmentList(ctx); err != nil {
		return cfg, err
	}
	if cfg.Pipelines, err = s.cfg.Store.PipelineList(ctx, store.PipelineListParams{}); err != nil {
		return cfg, err
	}
	cfg.AnalysisTemplates, err = s.cfg.Store.AnalysisTemplateList(ctx)
	cfg.Applications, cfg.Environments, cfg.Pipelines = nonNil(cfg.Applications), nonNil(cfg.Environments), nonNil(cfg.Pipelines)
	return cfg, err
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.currentConfig(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, 200, cfg)
}

func (s *Server) checkConfig(r *http.Request, cfg model.Config) error {
	if s.cfg.Validate == nil {
		return nil
	}
	existing, err := s.currentConfig(r)
	if err != nil {
		return err
	}
	return s.cfg.Validate(cfg, existing)
}

func (s *Server) validateConfig(w http.ResponseWriter, r *http.Request) {
	var cfg model.Config
	if err := decodeBody(r, &cfg); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkConfig(r, cfg); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]string{"status": "valid"})
}

func (s *Server) applyConfig(w http.ResponseWriter, r *http.Request) {
	var cfg model.Config
	if err := decodeBody(r, &cfg); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkConfig(r, cfg); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.cfg.Store.ConfigApply(r.Context(), cfg)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res.Created, res.Updated, res.Unchanged = nonNil(res.Created), nonNil(res.Updated), nonNil(res.Unchanged)
	writeJSON(w, 200, res)
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request) {
	apps, err := s.cfg.Store.ApplicationList(r.Context())
	respond(s, w, r, nonNil(apps), err)
}

func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) {
	app, err := s.cfg.Store.ApplicationGet(r.Context(), r.PathValue("name"))
	respond(s, w, r, app, err)
}

func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request) {
	envs, err := s.cfg.Store.EnvironmentList(r.Context())
	respond(s, w, r, nonNil(envs), err)
}

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) {
	pls, err := s.cfg.Store.PipelineList(r.Context(), store.PipelineListParams{Application: r.URL.Query().Get("application")})
	respond(s, w, r, nonNil(pls), err)
}

func (s *Server) getPipeline(w http.ResponseWriter, r *http.Request) {
	pl, err := s.cfg.Store.PipelineGet(r.Context(), r.PathValue("name"))
	respond(s, w, r, pl, err)
}

func (s *Server) listAnalysisTemplates(w http.ResponseWriter, r *http.Request) {
	ts, err := s.cfg.Store.AnalysisTemplateList(r.Context())
	respond(s, w, r, nonNil(ts), err)
}

func (s *Server) getAnalysisTemplate(w http.ResponseWriter, r *http.Request) {
	t, err := s.cfg.Store.AnalysisTemplateGet(r.Context(), r.PathValue("name"))
	respond(s, w, r, t, err)
}

// RunRequest is the body of POST /api/v1/pipelines/{name}/executions.
type RunRequest struct {
	Params     map[string]string `json:"params,omitempty"`
	CommitSHA  string            `json:"commitSha,omitempty"`
	CommitTime string            `json:"commitTime,omitempty"`
	Trigger    string            `json:"trigger,omitempty"`
}

func (s *Server) runPipeline(w http.ResponseWriter, r *http.Request) {
	var req RunRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ct, err := parseTime(req.CommitTime)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	kind := req.Trigger
	if kind == "" {
		kind = "manual"
	}
	exec, err := s.cfg.Engine.StartExecution(r.Context(), engine.StartParams{
		Pipeline: r.PathValue("name"), Params: req.Params,
		Trigger: model.Trigger{Kind: kind, Actor: actor(r), CommitSHA: req.CommitSHA, CommitTime: ct},
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, exec)
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
				s.writeError(w, r, fmt.Errorf("%w: query parameter status: %q is not an execution status: use running, succeeded, failed or canceled (comma separated)", errBadInput, st))
				return
			}
		}
	}
	var err error
	if p.Limit, err = queryInt(q, "limit", 1); err != nil {
		s.writeError(w, r, err)
		return
	}
	execs, err := s.cfg.Store.ExecutionList(r.Context(), p)
	respond(s, w, r, nonNil(execs), err)
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request) {
	exec, err := s.cfg.Store.ExecutionGet(r.Context(), r.PathValue("id"))
	respond(s, w, r, exec, err)
}

// JudgeRequest is the body of approve and reject.
type JudgeRequest struct {
	Stage   string `json:"stage,omitempty"`
	Comment string `json:"comment,omitempty"`
}

func (s *Server) judge(decision string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req JudgeRequest
		if err := decodeBody(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		id := r.PathValue("id")
		err := s.cfg.Engine.Judge(r.Context(), engine.JudgeParams{ExecutionID: id, Stage: req.Stage, Decision: decision, Actor: actor(r), Comment: req.Comment})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		exec, err := s.cfg.Store.ExecutionGet(r.Context(), id)
		respond(s, w, r, exec, err)
	}
}

// CancelRequest is the body of cancel.
type CancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	var req CancelRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := s.cfg.Engine.Cancel(r.Context(), engine.CancelParams{ExecutionID: id, Actor: actor(r), Reason: req.Reason}); err != nil {
		s.writeError(w, r, err)
		return
	}
	exec, err := s.cfg.Store.ExecutionGet(r.Context(), id)
	respond(s, w, r, exec, err)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := store.EventListParams{Application: q.Get("application"), Environment: q.Get("environment"), Newest: q.Get("after") == ""}
	for _, k := range strings.Split(q.Get("kind"), ",") {
		if k != "" {
			p.Kinds = append(p.Kinds, model.EventKind(k))
		}
	}
	after, err := queryInt(q, "after", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p.AfterID = int64(after)
	if p.Limit, err = queryInt(q, "limit", 1); err != nil {
		s.writeError(w, r, err)
		return
	}
	evs, err := s.cfg.Store.EventList(r.Context(), p)
	respond(s, w, r, nonNil(evs), err)
}

// appAction serves an action on an application (deploy, rollback, adopt):
// it decodes the body, takes the application from the path and the actor
// from the header, calls do, and answers 201 with its result.
func appAction[Req, Res any](s *Server, fill func(req *Req, app, actor string), do func(Deployer, context.Context, Req) (Res, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Deployer == nil {
			s.writeError(w, r, errNotImplemented)
			return
		}
		var req Req
		if err := decodeBody(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		fill(&req, r.PathValue("name"), actor(r))
		res, err := do(s.cfg.Deployer, r.Context(), req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, res)
	}
}

func (s *Server) deploy() http.HandlerFunc {
	return appAction(s, func(req *deploy.Request, app, actor string) { req.Application, req.Actor = app, actor }, Deployer.Deploy)
}

func (s *Server) rollback() http.HandlerFunc {
	return appAction(s, func(req *deploy.RollbackRequest, app, actor string) { req.Application, req.Actor = app, actor }, Deployer.Rollback)
}

func (s *Server) adopt() http.HandlerFunc {
	return appAction(s, func(req *deploy.AdoptRequest, app, actor string) { req.Application, req.Actor = app, actor }, Deployer.Adopt)
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
	_, _ = w.Write([]byte(out))
}

func (s *Server) analysis(w http.ResponseWriter, r *http.Request) {
	recs, err := s.cfg.Store.AnalysisList(r.Context(), r.PathValue("id"))
	respond(s, w, r, nonNil(recs), err)
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
		return 0, fmt.Errorf("%w: query parameter %s=%q: give a whole number of at least %d", errBadInput, name, v, min)
	}
	return n, nil
}
