package api

import (
	"context"
	"net/http"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
)

// RunRequest is the body of POST /api/v1/pipelines/{name}/executions.
type RunRequest struct {
	Params     map[string]string `json:"params,omitempty"`
	CommitSHA  string            `json:"commitSha,omitempty"`
	CommitTime string            `json:"commitTime,omitempty"`
	Trigger    string            `json:"trigger,omitempty"`
}

// runGuard checks, inside the start's transaction, that the caller may
// deploy wherever the pipeline deploys before a manual judgment, and records
// the start in the audit log.
func runGuard(r *http.Request, e *model.AuditEntry) engine.Guard {
	p, pol := principal(r), auth.PolicyFrom(r.Context())
	return engine.Guard{
		Check: func(exec *model.Execution, _ *model.Stage) error {
			return p.Check(auth.PermDeploy, pol.App(exec.Application, auth.RunEnvironments(exec.Spec)...))
		},
		Audit: e,
		Owner: p.Owner(),
	}
}

func (s *Server) runPipeline(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	e := s.entry(r, model.AuditRun, "pipeline/"+name, "")
	var req RunRequest
	if err := decodeAction(w, r, &req, func(fc *fieldCheck) {
		fc.params("params", req.Params)
		fc.str("commitSha", req.CommitSHA, maxCommitSHA)
		fc.str("trigger", req.Trigger, 64)
	}); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	ct, err := parseTime(req.CommitTime)
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	kind := req.Trigger
	if kind == "" {
		kind = "manual"
	}
	e.Detail = audit.Detail(map[string]any{"pipeline": name, "params": req.Params})
	exec, err := s.cfg.Engine.StartExecution(r.Context(), engine.StartParams{
		Pipeline: name, Spec: loadedPipeline(r), Params: req.Params, Guard: runGuard(r, e),
		Trigger: model.Trigger{Kind: kind, Actor: principal(r).Actor(), CommitSHA: req.CommitSHA, CommitTime: ct},
	})
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	writeJSON(w, http.StatusCreated, exec)
}

// JudgeRequest is the body of approve and reject.
type JudgeRequest struct {
	Stage   string `json:"stage,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// judge approves or rejects a waiting stage. The caller needs the approve
// permission in the environments the stage opens the way to; in an
// environment with fourEyes, the execution's starter may reject but not
// approve.
func (s *Server) judge(decision string) http.HandlerFunc {
	action := model.AuditApprove
	if decision == model.DecisionReject {
		action = model.AuditReject
	}
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		e := s.entry(r, action, "execution/"+id, "")
		var req JudgeRequest
		if err := decodeAction(w, r, &req, func(fc *fieldCheck) {
			fc.str("stage", req.Stage, maxName)
			fc.str("comment", req.Comment, maxComment)
		}); err != nil {
			s.failAction(w, r, e, err)
			return
		}
		ctx := r.Context()
		pol := auth.PolicyFrom(ctx)
		fourEyes, err := s.fourEyesEnvironments(ctx)
		if err != nil {
			s.failAction(w, r, e, err)
			return
		}
		p := principal(r)
		guard := engine.Guard{Audit: e, Check: func(exec *model.Execution, st *model.Stage) error {
			e.Detail = audit.Detail(map[string]any{"stage": st.Name, "comment": req.Comment})
			e.Application = exec.Application
			if err := p.Check(auth.PermApprove, pol.App(exec.Application, auth.ApprovalEnvironments(exec.Spec, st.Name)...)); err != nil {
				return err
			}
			if decision == model.DecisionApprove {
				return auth.FourEyes(exec, st.Name, p, func(env string) bool { return fourEyes[env] })
			}
			return nil
		}}
		err = s.cfg.Engine.Judge(ctx, engine.JudgeParams{ExecutionID: id, Stage: req.Stage, Decision: decision, Actor: p.Actor(), Comment: req.Comment, Guard: guard})
		if err != nil {
			s.failAction(w, r, e, err)
			return
		}
		exec, err := s.cfg.Store.ExecutionGet(ctx, id)
		respond(s, w, r, exec, err)
	}
}

func (s *Server) fourEyesEnvironments(ctx context.Context) (map[string]bool, error) {
	envs, err := s.cfg.Store.EnvironmentList(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, e := range envs {
		out[e.Name] = e.FourEyes
	}
	return out, nil
}

// CancelRequest is the body of cancel.
type CancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

// cancel stops an execution; it needs what starting it needs.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e := s.entry(r, model.AuditCancel, "execution/"+id, "")
	var req CancelRequest
	if err := decodeAction(w, r, &req, func(fc *fieldCheck) { fc.str("reason", req.Reason, maxComment) }); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	p, pol := principal(r), auth.PolicyFrom(r.Context())
	e.Detail = audit.Detail(map[string]any{"reason": req.Reason})
	guard := engine.Guard{Audit: e, Check: func(exec *model.Execution, _ *model.Stage) error {
		e.Application = exec.Application
		return p.Check(auth.PermDeploy, pol.App(exec.Application, auth.RunEnvironments(exec.Spec)...))
	}}
	if err := s.cfg.Engine.Cancel(r.Context(), engine.CancelParams{ExecutionID: id, Actor: p.Actor(), Reason: req.Reason, Guard: guard}); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	exec, err := s.cfg.Store.ExecutionGet(r.Context(), id)
	respond(s, w, r, exec, err)
}

// decodeAction reads an action's JSON body into v and checks the size of
// its fields with check.
func decodeAction(w http.ResponseWriter, r *http.Request, v any, check func(fc *fieldCheck)) error {
	if err := decodeBody(w, r, v, maxActionBody); err != nil {
		return err
	}
	var fc fieldCheck
	check(&fc)
	return fc.err()
}

// appAction serves an action on the application of the path (deploy,
// rollback, adopt): it decodes the body, checks its fields (check returns
// the audit entry's detail), and answers 201 with what do returns, or the
// error, recorded in the audit log.
func appAction[Req any](s *Server, action model.AuditAction, check func(fc *fieldCheck, req *Req) map[string]any,
	do func(r *http.Request, app string, req *Req, e *model.AuditEntry) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Deployer == nil {
			s.writeError(w, r, errNotImplemented)
			return
		}
		app := r.PathValue("name")
		e := s.entry(r, action, "application/"+app, app)
		var req Req
		var detail map[string]any
		if err := decodeAction(w, r, &req, func(fc *fieldCheck) { detail = check(fc, &req) }); err != nil {
			s.failAction(w, r, e, err)
			return
		}
		e.Detail = audit.Detail(detail)
		res, err := do(r, app, &req, e)
		if err != nil {
			s.failAction(w, r, e, err)
			return
		}
		writeJSON(w, http.StatusCreated, res)
	}
}

func (s *Server) deploy() http.HandlerFunc {
	return appAction(s, model.AuditDeploy, func(fc *fieldCheck, req *deploy.Request) map[string]any {
		fc.str("environment", req.Environment, maxName)
		fc.str("version", req.Version, maxVersion)
		fc.str("pipeline", req.Pipeline, maxName)
		fc.params("params", req.Params)
		fc.params("env", req.Env)
		fc.str("commitSha", req.CommitSHA, maxCommitSHA)
		return map[string]any{"environment": req.Environment, "version": req.Version, "pipeline": req.Pipeline, "params": req.Params, "env": req.Env}
	}, func(r *http.Request, app string, req *deploy.Request, e *model.AuditEntry) (any, error) {
		req.Application, req.Actor, req.Guard = app, principal(r).Actor(), runGuard(r, e)
		return s.cfg.Deployer.Deploy(r.Context(), *req)
	})
}

func (s *Server) rollback() http.HandlerFunc {
	return appAction(s, model.AuditRollback, func(fc *fieldCheck, req *deploy.RollbackRequest) map[string]any {
		fc.str("environment", req.Environment, maxName)
		fc.str("reason", req.Reason, maxComment)
		return map[string]any{"environment": req.Environment, "reason": req.Reason}
	}, func(r *http.Request, app string, req *deploy.RollbackRequest, e *model.AuditEntry) (any, error) {
		// Checked first, so a caller who may not roll back learns nothing
		// of the environment's executions; the guard checks again in the
		// start's transaction.
		if err := mayDeployIn(r, app, req.Environment); err != nil {
			return nil, err
		}
		req.Application, req.Actor, req.Guard = app, principal(r).Actor(), runGuard(r, e)
		return s.cfg.Deployer.Rollback(r.Context(), *req)
	})
}

// adopt takes over an existing Kubernetes Deployment; it needs the deploy
// permission in the environment. Adoption changes the cluster before
// anything is stored, so its audit entry follows the outcome.
func (s *Server) adopt() http.HandlerFunc {
	return appAction(s, model.AuditAdopt, func(fc *fieldCheck, req *deploy.AdoptRequest) map[string]any {
		fc.str("environment", req.Environment, maxName)
		fc.str("deployment", req.Deployment, maxName)
		return map[string]any{"environment": req.Environment, "deployment": req.Deployment}
	}, func(r *http.Request, app string, req *deploy.AdoptRequest, e *model.AuditEntry) (any, error) {
		if err := mayDeployIn(r, app, req.Environment); err != nil {
			return nil, err
		}
		req.Application, req.Actor = app, principal(r).Actor()
		sg, err := s.cfg.Deployer.Adopt(r.Context(), *req)
		if err == nil {
			s.cfg.Audit.Record(r.Context(), *e, model.AuditOK, e.Detail)
		}
		return sg, err
	})
}

// mayDeployIn refuses a caller who may not deploy app in env.
func mayDeployIn(r *http.Request, app, env string) error {
	return principal(r).Check(auth.PermDeploy, auth.PolicyFrom(r.Context()).App(app, env))
}
