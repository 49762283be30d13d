package api

import (
	"context"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

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
