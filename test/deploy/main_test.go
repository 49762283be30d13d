// Package deploy holds gennaker's deploy integration tests: a real
// `gennaker server` process per test (real SQLite, real front-door proxy)
// deploying real `gennaker sample-service` instances with every strategy,
// and crash tests that kill the server with SIGKILL mid-canary. The
// Kubernetes crash test runs on SQLite and on PostgreSQL (subtests named by
// store; a server on PostgreSQL refuses the local target, so the others
// stay on SQLite).
package deploy

import (
	"testing"

	"github.com/gennaker/gennaker/test/testserver"
)

// exe is the gennaker binary under test, built once by TestMain (or
// $GENNAKER_TEST_BIN, e.g. of a clean checkout while the tree is being edited).
var exe string

func TestMain(m *testing.M) { testserver.Main(m, &exe) }
