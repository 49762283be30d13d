// Package ha runs two `gennaker server` replicas on one PostgreSQL database
// against a real Kubernetes API server (kwok nodes), kills one of them with
// SIGKILL at random moments while executions run, and checks that every
// execution still ends exactly once, that webhooks are repeated only as
// the webhook stage promises, that no server group is duplicated, that a
// live view (SSE) on either replica sees every change, and how long the
// surviving replica takes to carry on the dead one's steps.
//
//	go test -timeout 10m -v -run TestReplicasUnderKills ./test/ha
//	go test -timeout 10m -v ./test/ha -args -ha.executions=50 -ha.kills=5  # a quicker local run
package ha

import (
	"testing"

	"github.com/gennaker/gennaker/test/testserver"
)

// exe is the gennaker binary under test, built once by TestMain (or
// $GENNAKER_TEST_BIN).
var exe string

func TestMain(m *testing.M) { testserver.Main(m, &exe) }
