package testserver

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/test/pgenv"
)

// StoreKind is where a test server keeps its state.
type StoreKind string

const (
	// SQLite is the embedded store in the server's data directory (--data).
	SQLite StoreKind = "sqlite"
	// Postgres is a fresh database of the test binary's shared PostgreSQL
	// server (pgenv), given as --store postgres://...
	Postgres StoreKind = "postgres"
)

// StoreKinds are the stores the suites that run on both iterate over, as
// subtests named by kind.
var StoreKinds = []StoreKind{SQLite, Postgres}

// PostgresClaimTTL is the --claim-ttl of a test server on PostgreSQL. There
// the engine does not drop claims at start (several replicas may share the
// database), so a server restarted after kill -9 takes over its
// predecessor's steps only when their claims expire: 20 s by default, too
// slow for a test that kills a server ten times.
const PostgresClaimTTL = 3 * time.Second

// StoreArgs are the `gennaker server` arguments that keep its state in
// kind, for every start of one test's server: --data dir on SQLite; on
// PostgreSQL --store with the URL of a database made for the test (dropped
// when it ends) and --claim-ttl PostgresClaimTTL, with --data dir still
// given so that nothing lands in the working directory. The caller gives
// --cli-config FILE as ever: on a shared store the server writes the local
// admin's credential only when --cli-config names a file.
func StoreArgs(t testing.TB, kind StoreKind, dir string) []string {
	t.Helper()
	switch kind {
	case SQLite, "":
		return []string{"--data", dir}
	case Postgres:
		url := pgenv.Shared(t).Database(t)
		return []string{"--data", dir, "--store", url, "--claim-ttl", PostgresClaimTTL.String()}
	}
	t.Fatalf("testserver: store kind %q: want %s or %s", kind, SQLite, Postgres)
	return nil
}
