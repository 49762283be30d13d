package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// TestAuditTamperIsCaught edits the database file behind the store's back,
// as someone with write access to it could: the append-only triggers are
// dropped and an entry is changed or deleted. The chain shows where.
func TestAuditTamperIsCaught(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		trigger string // the append-only trigger to drop
		tamper  string
		breakAt int64 // the first entry VerifyAuditChain must report
	}{
		// Entry 3 no longer matches its own hash.
		{"UpdateEntry", "audit_no_update", "UPDATE audit SET actor = 'mallory' WHERE id = 3", 3},
		// Entry 4's prevHash names an entry that is gone.
		{"DeleteEntry", "audit_no_delete", "DELETE FROM audit WHERE id = 3", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "gennaker.db")
			s, err := sqlite.Open(ctx, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			for i := range 5 {
				e := &model.AuditEntry{
					Time: time.Now(), Actor: "ada", Action: model.AuditDeploy, Outcome: model.AuditOK,
					Application: "checkout", Detail: []byte(fmt.Sprintf(`{"version":"1.0.%d"}`, i)),
				}
				if err := s.AuditAppend(ctx, e); err != nil {
					t.Fatal(err)
				}
				if e.ID != int64(i+1) {
					t.Fatalf("entry %d got ID %d; the test counts on IDs 1-5", i+1, e.ID)
				}
			}
			if brk := verify(t, s); brk != nil {
				t.Fatalf("untouched log does not verify: %+v", *brk)
			}

			raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.ExecContext(ctx, tc.tamper); err == nil {
				t.Fatalf("%s succeeded with the append-only triggers in place", tc.tamper)
			}
			for _, stmt := range []string{"DROP TRIGGER " + tc.trigger, tc.tamper} {
				if _, err := raw.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}

			brk := verify(t, s)
			if brk == nil || brk.ID != tc.breakAt {
				t.Fatalf("after %q VerifyAuditChain reports %+v, want a break at entry %d", tc.tamper, brk, tc.breakAt)
			}
		})
	}
}

func verify(t *testing.T, s *sqlite.Store) *model.AuditBreak {
	t.Helper()
	entries, err := s.AuditList(t.Context(), store.AuditListParams{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return model.VerifyAuditChain("", entries)
}
