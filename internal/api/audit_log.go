package api

import (
	"context"
	"net/http"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/store"
)

// listAudit returns audit entries (oldest first), filtered by since, actor
// and application; newest page unless after is given.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := store.AuditListParams{Actor: q.Get("actor"), Application: q.Get("application"), Newest: q.Get("after") == ""}
	var err error
	if p.Limit, err = queryLimit(q, maxAuditPage, 100); err != nil {
		s.writeError(w, r, err)
		return
	}
	after, err := queryInt(q, "after", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p.AfterID = int64(after)
	since, err := parseTime(q.Get("since"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if since != nil {
		p.Since = *since
	}
	entries, err := s.cfg.Store.AuditList(r.Context(), p)
	respond(s, w, r, nonNil(entries), err)
}

// AuditVerification is the answer of GET /api/v1/audit/verify.
type AuditVerification = audit.Verification

// verifyAudit walks the whole chain in pages and names the first entry
// where it breaks.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	v, err := VerifyAuditChain(r.Context(), s.cfg.Store)
	respond(s, w, r, v, err)
}

// VerifyAuditChain checks the whole audit chain, a page at a time
// (audit.VerifyChain); the CLI uses it offline (`gennaker audit verify
// --data DIR`).
func VerifyAuditChain(ctx context.Context, st audit.Lister) (AuditVerification, error) {
	return audit.VerifyChain(ctx, st)
}
