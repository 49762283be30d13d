package audit

import (
	"context"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// verifyPage is how many entries VerifyChain reads at a time (the most
// AuditList returns).
const verifyPage = 1000

// Verification is what walking the whole chain found.
type Verification struct {
	OK      bool              `json:"ok"`
	Entries int               `json:"entries"`
	Head    string            `json:"head,omitempty"`
	Break   *model.AuditBreak `json:"break,omitempty"`
}

// Lister reads audit entries in ID order after AfterID, at most Limit: a
// store, or anything else that holds an audit log (a copy being checked).
type Lister interface {
	AuditList(ctx context.Context, params store.AuditListParams) ([]model.AuditEntry, error)
}

// VerifyChain walks the whole audit chain from its first entry, a page at
// a time, and names the first entry where it breaks (model.VerifyAuditChain).
func VerifyChain(ctx context.Context, l Lister) (Verification, error) {
	var v Verification
	prev := ""
	var after int64
	for {
		page, err := l.AuditList(ctx, store.AuditListParams{AfterID: after, Limit: verifyPage})
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
		if len(page) < verifyPage {
			break
		}
	}
	v.OK, v.Head = true, prev
	return v, nil
}
