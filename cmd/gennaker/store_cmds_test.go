package main

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/test/pgenv"
)

func TestMain(m *testing.M) { os.Exit(pgenv.RunShared(m)) }

// run runs gennaker in-process with args and returns its output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

// password is the password in a PostgreSQL URL, which no output may show.
func password(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" {
		t.Fatalf("pgenv's URL has no password to hide: %s", raw)
	}
	return pw
}

func TestMigrateSQLiteSaysWhatItApplied(t *testing.T) {
	t.Parallel()
	store := "sqlite://" + t.TempDir()
	out, err := run(t, "migrate", "--store", store)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"applied 001_init\n", "applied 008_", "applied river 001 create river migration\n", store + " is up to date"} {
		if !strings.Contains(out, want) {
			t.Errorf("first migrate: output lacks %q:\n%s", want, out)
		}
	}
	out, err = run(t, "migrate", "--store", store)
	if err != nil || out != store+" is up to date\n" {
		t.Fatalf("second migrate: %v, output %q, want only that it is up to date", err, out)
	}
}

func TestMigratePostgres(t *testing.T) {
	t.Parallel()
	db := pgenv.Shared(t).Database(t)
	out, err := run(t, "migrate", "--store", db)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "applied 001_init\n") || !strings.Contains(out, "applied river 001 ") || !strings.HasSuffix(out, "is up to date\n") {
		t.Errorf("first migrate: output\n%s", out)
	}
	out, err = run(t, "migrate", "--store", db)
	if err != nil || strings.Contains(out, "applied") || !strings.HasSuffix(out, "is up to date\n") {
		t.Errorf("second migrate: %v, output\n%s", err, out)
	}
	if pw := password(t, db); strings.Contains(out, pw) {
		t.Errorf("migrate printed the password:\n%s", out)
	}
}

func TestStoreCopy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)
	for _, actor := range []string{"ada@example.com", "bob@example.com"} {
		if err := st.AuditAppend(t.Context(), &model.AuditEntry{Time: at, Actor: actor, Action: model.AuditLogin, Outcome: model.AuditOK}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db := pgenv.Shared(t).Database(t)
	out, err := run(t, "store", "copy", "--from", "sqlite://"+dir, "--to", db)
	if err != nil {
		t.Fatalf("store copy: %v\n%s", err, out)
	}
	for _, want := range []string{"TABLE", "audit  ", "audit chain verified on the copy: 2 entries", "copied sqlite://" + dir + " to postgres://"} {
		if !strings.Contains(out, want) {
			t.Errorf("store copy: output lacks %q:\n%s", want, out)
		}
	}
	if pw := password(t, db); strings.Contains(out, pw) {
		t.Errorf("store copy printed the password:\n%s", out)
	}
	out, err = run(t, "store", "copy", "--from", "sqlite://"+dir, "--to", db)
	if err == nil || !strings.Contains(err.Error(), "already has rows") || strings.Contains(err.Error(), password(t, db)) {
		t.Fatalf("second store copy: err = %v, want a refusal without the password\n%s", err, out)
	}
}
