// Package triggers holds the end-to-end tests of pipeline triggers: a real
// `gennaker server` process started by a signed webhook (GitHub style,
// replayed, raced, paused), by a real OCI registry and a real git server
// (served by git http-backend) the tests push to, by another pipeline's end,
// and on a cron schedule, each start counted through the API.
package triggers

import (
	"os"
	"testing"

	"github.com/gennaker/gennaker/test/testserver"
)

// exe is the gennaker binary under test, built once by TestMain.
var exe string

func TestMain(m *testing.M) {
	// Every server the tests start reads the webhook triggers' secret
	// from its environment (secretRef env).
	os.Setenv(secretEnv, secret)
	testserver.Main(m, &exe)
}
