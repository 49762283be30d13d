// Package deploy holds gennaker's deploy integration tests: a real
// `gennaker server` process per test (real SQLite, real front-door proxy)
// deploying real `gennaker sample-service` instances with every strategy,
// and a crash test that kills the server with SIGKILL mid-canary.
package deploy

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
	dir, err := os.MkdirTemp("", "gennaker-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	exe = filepath.Join(dir, "gennaker")
	if bin := os.Getenv("GENNAKER_TEST_BIN"); bin != "" {
		// A prebuilt binary, e.g. of a clean checkout while the tree is being edited.
		exe = bin
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
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
