// Package faults runs a real gennaker server and injects faults around it:
// webhook targets that fail or make it poll, and another process that holds
// SQLite's write lock on the server's database while 200 clients use the
// API. It checks what the engine promises under those faults: every
// execution ends, every webhook attempt calls its target exactly once, a
// polling webhook polls once per interval, and no result is dropped.
// The webhook tests run on both stores, as subtests sqlite and postgres (a
// fresh database of a PostgreSQL server the package starts, see
// testserver.StoreArgs); the write-lock tests on SQLite alone, whose lock
// they hold.
//
// The lock is held by this test binary itself, started again with
// GENNAKER_FAULTS_HOLD_LOCK=PATH,DURATION (see lockholder_test.go).
// GENNAKER_FAULTS_SEED=N replays the random lock bursts of a run (its seed
// is logged). Each test prints its figures on one line starting "faults:".
//
//	go test -count=1 -v ./test/faults/
package faults

import (
	"os"
	"testing"

	"github.com/gennaker/gennaker/test/testserver"
)

// binary is the gennaker binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	if spec := os.Getenv(holdLockEnv); spec != "" {
		os.Exit(holdLockMain(spec))
	}
	testserver.Main(m, &binary)
}
