// Package security attacks a real `gennaker server` process the way the
// issues that asked for authentication describe: cross-site form posts,
// text/plain and trailing-JSON bodies, DNS rebinding, missing and forged
// credentials; and greps everything a run with secrets shows (API answers,
// server-sent events, pages, logs, the database files) for the secrets'
// values.
package security

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// exe is the gennaker binary under test, built once by TestMain.
var exe string

func TestMain(m *testing.M) {
	if bin := os.Getenv("GENNAKER_TEST_BIN"); bin != "" {
		exe = bin
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "gennaker-security-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	exe = filepath.Join(dir, "gennaker")
	build := exec.Command("go", "build", "-o", exe, "github.com/gennaker/gennaker/cmd/gennaker")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gennaker:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
