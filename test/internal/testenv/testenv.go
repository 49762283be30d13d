// Package testenv holds what the real servers the tests start (k8senv,
// pgenv, promenv, oidcenv, the UI test) share: what to do when a server's
// binaries are missing, and the directory of a server shared by one test
// binary.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// RequireAllVar, set to 1 (as `make test` does), turns a missing server
// from a skipped test into a failed one: the README's test command never
// skips a suite.
const RequireAllVar = "GENNAKER_REQUIRE_ALL"

// Missing skips t because what it needs is missing (err says what and how
// to get it), or fails it when every suite is required.
func Missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(RequireAllVar) == "1" {
		t.Fatal(err)
	}
	t.Skip(err)
}

// ownerFile names the pid of the test binary that owns a shared directory.
const ownerFile = "owner.pid"

// SharedDir makes the temporary directory of a server shared by this test
// binary, named prefix*, recording the binary's pid so that a later call
// (in any test binary) removes it once this one has exited without
// cleaning up (killed, or no TestMain). It first removes such leftovers.
func SharedDir(prefix string) (string, error) {
	RemoveStale(prefix)
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("shared server directory %s: %w", dir, err)
	}
	return dir, nil
}

// RemoveStale removes the shared directories named prefix* whose test
// binary has exited (their servers died with it).
func RemoveStale(prefix string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}
