package api

import (
	"context"
	"net/http"

	"github.com/gennaker/gennaker/internal/model"
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
type AuditVerification struct {
	OK      bool              `json:"ok"`
	Entries int               `json:"entries"`
	Head    string            `json:"head,omitempty"`
	Break   *model.AuditBreak `json:"break,omitempty"`
}

// verifyAudit walks the whole chain in pages and names the first entry
// where it breaks.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	v, err := VerifyAuditChain(r.Context(), s.cfg.Store)
	respond(s, w, r, v, err)
}

// VerifyAuditChain checks the whole audit chain, a page at a time; the CLI
// uses it offline (`gennaker audit verify --data DIR`).
func VerifyAuditChain(ctx context.Context, st auditReader) (AuditVerification, error) {
	var v AuditVerification
	prev := ""
	var after int64
	for {
		page, err := st.AuditList(ctx, store.AuditListParams{AfterID: after, Limit: maxAuditPage})
		if err != nil {
			return v, err
		}
		if b := model.VerifyAuditChain(prev, page); b != nil {
			v.Break = b
			return v, nil
		}
		v.Entries += len(page)
		if len(page) == 0 {
			break
		}
		prev, after = page[len(page)-1].Hash, page[len(page)-1].ID
		if len(page) < maxAuditPage {
			break
		}
	}
	v.OK, v.Head = true, prev
	return v, nil
}

// auditReader is what verification reads.
type auditReader interface {
	AuditList(ctx context.Context, params store.AuditListParams) ([]model.AuditEntry, error)
}
