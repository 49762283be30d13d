package api

import (
	"net/http"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
)

// ControlRequest is the body of promote, abort and retry.
type ControlRequest struct {
	// Stage is optional: the one running canary (promote, abort), or the
	// first failed or canceled stage (retry).
	Stage   string `json:"stage,omitempty"`
	Comment string `json:"comment,omitempty"`
	// Version is the execution's version the caller acted on: the same
	// request sent again after its answer was lost changes nothing.
	Version int `json:"version,omitempty"`
}

// controlGuard checks, under the execution's lock, that the caller may
// approve in the environments the stage opens the way to (the approve
// rule: a canary deploy's own environment), and for a promote the four-eyes
// rule an approval follows. A nil stage (a retry with none to take) is
// checked on every environment the pipeline deploys to.
func (s *Server) controlGuard(r *http.Request, e *model.AuditEntry, req ControlRequest, fourEyesApplies bool) (engine.Guard, error) {
	ctx := r.Context()
	pol, p := auth.PolicyFrom(ctx), principal(r)
	fourEyes, err := s.fourEyesEnvironments(ctx)
	if err != nil {
		return engine.Guard{}, err
	}
	return engine.Guard{Audit: e, Check: func(exec *model.Execution, st *model.Stage) error {
		e.Application = exec.Application
		envs := auth.RunEnvironments(exec.Spec)
		stageName := ""
		if st != nil {
			stageName = st.Name
			envs = auth.ApprovalEnvironments(exec.Spec, st.Name)
		}
		e.Detail = audit.Detail(map[string]any{"stage": stageName, "comment": req.Comment, "version": req.Version})
		if err := p.Check(auth.PermApprove, pol.App(exec.Application, envs...)); err != nil {
			return err
		}
		if fourEyesApplies && st != nil {
			return auth.FourEyes(exec, st.Name, p, func(env string) bool { return fourEyes[env] })
		}
		return nil
	}}, nil
}

// control serves promote and abort of a running canary: decision is
// model.DecisionPromote or model.DecisionAbort.
func (s *Server) control(decision string, action model.AuditAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		e := s.entry(r, action, "execution/"+id, "")
		req, ok := s.decodeControl(w, r, e)
		if !ok {
			return
		}
		guard, err := s.controlGuard(r, e, req, decision == model.DecisionPromote)
		if err != nil {
			s.failAction(w, r, e, err)
			return
		}
		_, err = s.cfg.Engine.Control(r.Context(), engine.ControlParams{ExecutionID: id, Stage: req.Stage, Decision: decision,
			Actor: principal(r).Actor(), Comment: req.Comment, Version: req.Version, Guard: guard})
		if err != nil {
			s.failAction(w, r, e, err)
			return
		}
		exec, err := s.cfg.Store.ExecutionGet(r.Context(), id)
		respond(s, w, r, exec, err)
	}
}

// retry runs a failed or canceled execution again from a stage.
func (s *Server) retry(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e := s.entry(r, model.AuditRetry, "execution/"+id, "")
	req, ok := s.decodeControl(w, r, e)
	if !ok {
		return
	}
	guard, err := s.controlGuard(r, e, req, false)
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	_, err = s.cfg.Engine.Retry(r.Context(), engine.RetryParams{ExecutionID: id, Stage: req.Stage,
		Actor: principal(r).Actor(), Comment: req.Comment, Version: req.Version, Guard: guard})
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	exec, err := s.cfg.Store.ExecutionGet(r.Context(), id)
	respond(s, w, r, exec, err)
}

func (s *Server) decodeControl(w http.ResponseWriter, r *http.Request, e *model.AuditEntry) (ControlRequest, bool) {
	var req ControlRequest
	if err := decodeAction(w, r, &req, func(fc *fieldCheck) {
		fc.str("stage", req.Stage, maxName)
		fc.str("comment", req.Comment, maxComment)
		if req.Version < 0 {
			fc.problems = append(fc.problems, "version is negative: send the execution's version as you read it, or leave it out")
		}
	}); err != nil {
		s.failAction(w, r, e, err)
		return req, false
	}
	return req, true
}
