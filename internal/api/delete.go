package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/deletion"
	"github.com/gennaker/gennaker/internal/model"
)

// deleteObject serves DELETE /api/v1/{applications,environments,pipelines}/{name}:
// ?dryRun=true answers with what would be removed and changes nothing;
// ?force=true cancels running executions first instead of refusing.
// A deletion (not a dry run) is recorded in the audit log, done or failed.
func (s *Server) deleteObject(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		app := ""
		switch kind {
		case model.KindApplication:
			app = name
		case model.KindPipeline:
			if pl, err := s.cfg.Store.PipelineGet(r.Context(), name); err == nil {
				app = pl.Application
			}
		}
		var fc fieldCheck
		fc.str("name", name, maxName)
		dryRun, errD := queryBool(r, "dryRun")
		force, errF := queryBool(r, "force")
		for _, err := range []error{errD, errF} {
			if err != nil {
				fc.problems = append(fc.problems, err.Error())
			}
		}
		if err := fc.err(); err != nil {
			s.writeError(w, r, err)
			return
		}
		var e *model.AuditEntry
		if !dryRun {
			e = s.entry(r, model.AuditDelete, kind+"/"+truncate(name, 70), app)
			e.Detail = audit.Detail(map[string]any{"force": force})
		}
		if s.cfg.Deleter == nil {
			s.failAction(w, r, e, errNotImplemented)
			return
		}
		// The ok entry is appended in the transaction that removes the records.
		res, err := s.cfg.Deleter.Delete(r.Context(), deletion.Request{Kind: kind, Name: name, DryRun: dryRun, Force: force, Actor: principal(r).Actor(), Audit: e})
		if err != nil {
			s.failAction(w, r, e, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// queryBool reads an optional true/false query parameter.
func queryBool(r *http.Request, key string) (bool, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("query parameter %s is %q: give true or false", key, truncate(v, 20))
	}
	return b, nil
}
