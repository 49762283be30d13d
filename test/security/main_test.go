// Package security attacks a real `gennaker server` process the way the
// issues that asked for authentication describe: cross-site form posts,
// text/plain and trailing-JSON bodies, DNS rebinding, missing and forged
// credentials; and greps everything a run with secrets shows (API answers,
// server-sent events, pages, logs, the database files) for the secrets'
// values.
package security

import (
	"testing"

	"github.com/gennaker/gennaker/test/testserver"
)

// exe is the gennaker binary under test, built once by TestMain.
var exe string

func TestMain(m *testing.M) { testserver.Main(m, &exe) }
