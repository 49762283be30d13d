package sqlite

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// BenchmarkAuditAppend measures one audit entry appended in its own
// transaction (what every pipeline start adds to the engine's write path),
// against an empty transaction as the baseline.
func BenchmarkAuditAppend(b *testing.B) {
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "g.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	detail, _ := json.Marshal(map[string]any{"pipeline": "noop5", "params": map[string]string{"version": "v1"}})
	b.Run("empty-tx", func(b *testing.B) {
		for b.Loop() {
			if err := st.InTx(ctx, func(context.Context, store.Tx) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		for b.Loop() {
			err := st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				e := model.AuditEntry{Time: time.Now(), Actor: "token:ci", Source: "127.0.0.1", Action: model.AuditRun,
					Object: "execution/20261203-101500-0123456789ab", Application: "checkout", Outcome: model.AuditOK, Detail: detail}
				return tx.AuditAppend(ctx, &e)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
