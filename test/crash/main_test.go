// Package crash kills a real gennaker server with SIGKILL while executions
// run, restarts it on the same data directory, and checks that every
// execution still ends exactly once and every webhook side effect happens
// exactly once per idempotency key.
package crash

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the gennaker binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gennaker-crash-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash: temp dir:", err)
		return 2
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "gennaker")
	build := exec.Command("go", "build", "-o", binary, "github.com/gennaker/gennaker/cmd/gennaker")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "crash: building gennaker:", err)
		return 2
	}
	return m.Run()
}
