// Package crash kills a real gennaker server with SIGKILL while executions
// run, restarts it on the same data directory, and checks that every
// execution still ends exactly once and every webhook side effect happens
// exactly once per idempotency key.
package crash

import (
	"testing"

	"github.com/gennaker/gennaker/test/testserver"
)

// binary is the gennaker binary built once for the package.
var binary string

func TestMain(m *testing.M) { testserver.Main(m, &binary) }
