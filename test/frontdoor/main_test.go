// Package frontdoor tests the local target's front-door process with the
// real binary: a server killed with SIGKILL, restarted, or replaced by a new
// build never interrupts the traffic through its front doors, and the
// front door's counters reach the judge once each across a restart.
package frontdoor

import (
	"testing"

	"github.com/gennaker/gennaker/test/testserver"
)

var exe string

func TestMain(m *testing.M) { testserver.Main(m, &exe) }
