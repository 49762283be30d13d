package main

import (
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/test/pgenv"
)

// createAdminOffline runs `gennaker token create NAME --role admin -o json`
// with args naming the store, and returns the token it created.
func createAdminOffline(t *testing.T, name string, args ...string) api.TokenCreated {
	t.Helper()
	out, err := run(t, append([]string{"token", "create", name, "--role", "admin", "-o", "json"}, args...)...)
	if err != nil {
		t.Fatalf("token create %s %v: %v\n%s", name, args, err, out)
	}
	var created api.TokenCreated
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("token create printed no token: %v\n%s", err, out)
	}
	return created
}

// The first admin token of a server on PostgreSQL, as docs/operations.md
// makes it: the token works for a server on that database, its creation is
// audited, and the audit chain verifies offline; no output shows the
// database's password.
func TestTokenCreateAndAuditVerifyOnPostgres(t *testing.T) {
	t.Parallel()
	db := pgenv.Shared(t).Database(t)
	pw := password(t, db)
	created := createAdminOffline(t, "admin", "--store", db)
	if created.Role != model.RoleAdmin || !created.Scope.Global() || created.Secret == "" {
		t.Fatalf("created %+v, want a global admin token with its secret", created.Token)
	}

	st, err := postgres.Open(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, err := authn.New(authn.Config{Store: st, Log: slog.New(slog.DiscardHandler)}).Token(t.Context(), created.Secret)
	if err != nil || tok.Name != "admin" || tok.Role != model.RoleAdmin {
		t.Fatalf("the secret authenticates as %+v, %v; want the admin token", tok, err)
	}
	entries, err := st.AuditList(t.Context(), store.AuditListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != model.AuditTokenCreate || entries[0].Object != "token/admin" {
		t.Fatalf("audit log %+v, want the one token.create of token/admin", entries)
	}
	if strings.Contains(string(entries[0].Detail), pw) {
		t.Errorf("the audit entry holds the database's password: %s", entries[0].Detail)
	}

	out, err := run(t, "audit", "verify", "--store", db)
	if err != nil || !strings.HasPrefix(out, "audit log intact: 1 entries, head ") {
		t.Fatalf("audit verify --store: %v, output %q", err, out)
	}
	if strings.Contains(out, pw) {
		t.Errorf("audit verify printed the password: %s", out)
	}
}

// Without --data or --store the offline commands use $GENNAKER_STORE.
func TestOfflineCommandsReadGENNAKER_STORE(t *testing.T) { // not parallel: it sets the environment
	db := pgenv.Shared(t).Database(t)
	t.Setenv("GENNAKER_STORE", db)
	createAdminOffline(t, "ops")
	out, err := run(t, "audit", "verify")
	if err != nil || !strings.HasPrefix(out, "audit log intact: 1 entries") {
		t.Fatalf("audit verify with GENNAKER_STORE: %v, output %q", err, out)
	}
}

// --store sqlite://DIR is --data DIR; both at once are refused, and a
// directory without a database is not given a new one.
func TestOfflineStoreSQLiteURLIsData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if out, err := run(t, "migrate", "--store", "sqlite://"+dir); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	createAdminOffline(t, "by-url", "--store", "sqlite://"+dir)
	createAdminOffline(t, "by-dir", "--data", dir)
	out, err := run(t, "audit", "verify", "--data", dir)
	if err != nil || !strings.HasPrefix(out, "audit log intact: 2 entries") {
		t.Fatalf("audit verify --data: %v, output %q", err, out)
	}
	out2, err := run(t, "audit", "verify", "--store", "sqlite://"+dir)
	if err != nil || out2 != out {
		t.Fatalf("audit verify --store sqlite://DIR: %v, output %q; want what --data DIR says: %q", err, out2, out)
	}

	for _, args := range [][]string{
		{"token", "create", "x", "--role", "admin", "--data", dir, "--store", "sqlite://" + dir},
		{"audit", "verify", "--data", dir, "--store", "sqlite://" + dir},
	} {
		if out, err := run(t, args...); err == nil || !strings.Contains(err.Error(), "not both") {
			t.Errorf("%v: %v, output %q; want it refused: --data or --store, not both", args, err, out)
		}
	}
	missing := filepath.Join(dir, "elsewhere")
	if out, err := run(t, "audit", "verify", "--store", "sqlite://"+missing); err == nil || !strings.Contains(err.Error(), "no gennaker database in "+missing) {
		t.Errorf("audit verify on a directory without a database: %v, output %q", err, out)
	}
}
