// Package crash kills a real gennaker server with SIGKILL while executions
// run, restarts it on the same store, and checks that every execution still
// ends exactly once and every webhook side effect happens exactly once per
// idempotency key. Each test runs on both stores, as subtests sqlite (a
// data directory) and postgres (a fresh database of a PostgreSQL server
// the package starts, with a short --claim-ttl: see testserver.StoreArgs).
package crash

import (
	"testing"

	"github.com/gennaker/gennaker/test/testserver"
)

// binary is the gennaker binary built once for the package.
var binary string

func TestMain(m *testing.M) { testserver.Main(m, &binary) }
