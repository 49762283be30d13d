package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
)

// principal is the request's caller; routes that are not public only run
// with one.
func principal(r *http.Request) auth.Principal { return auth.From(r.Context()) }

// requireGrant refuses callers who hold no grant at all (shared objects such
// as environments are readable by anyone with some grant).
func requireGrant(r *http.Request) error {
	p := principal(r)
	if len(p.Bindings) == 0 {
		return fmt.Errorf("%w: %s is logged in but holds no grant: ask an admin to add you to a team with a Grant, or to create a token for you", auth.ErrForbidden, p.Actor())
	}
	return nil
}

// entry starts the audit entry of an action.
func (s *Server) entry(r *http.Request, action model.AuditAction, object, app string) *model.AuditEntry {
	e := s.cfg.Audit.Entry(r, action, object, app)
	return &e
}

// failAction records a failed or refused action in the audit log (unless
// its entry is nil) and answers with the error.
func (s *Server) failAction(w http.ResponseWriter, r *http.Request, e *model.AuditEntry, err error) {
	if e != nil {
		outcome := model.AuditFailed
		if errors.Is(err, auth.ErrForbidden) || errors.Is(err, auth.ErrUnauthenticated) {
			outcome = model.AuditRefused
		}
		var detail any = err
		if e.Detail != nil {
			detail = map[string]any{"request": e.Detail, "error": err.Error()}
		}
		s.cfg.Audit.Record(r.Context(), *e, outcome, detail)
	}
	s.writeError(w, r, err)
}
