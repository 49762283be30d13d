// Package ui runs the web UI's end-to-end test (e2e.mjs) in a real headless
// Chromium against a real gennaker server: it builds the binary, installs
// playwright-core with `npm ci` when node_modules is missing, and fails when
// the script reports a failure.
package ui

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const chromium = "/usr/bin/chromium"

// missing skips the test, or fails it when every suite is required (make test).
func missing(t *testing.T, what string) {
	t.Helper()
	msg := what + ": run scripts/test-deps.sh to install the UI test's dependencies (Debian chromium, node and npm, then npm ci in test/ui)"
	if os.Getenv("GENNAKER_REQUIRE_ALL") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func TestUIEndToEnd(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		missing(t, chromium+" is missing")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			missing(t, "test/ui/node_modules is missing and npm is not on PATH")
		}
		ci := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		if out, err := ci.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in test/ui: %v\n%s", err, out)
		}
	}
	bin := os.Getenv("GENNAKER_TEST_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "gennaker")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/gennaker/gennaker/cmd/gennaker")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building gennaker: %v\n%s", err, out)
		}
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, node, "e2e.mjs")
	cmd.Env = append(os.Environ(), "GENNAKER_BIN="+bin)
	cmd.Stdout = io.MultiWriter(&out, testWriter{t})
	cmd.Stderr = cmd.Stdout
	err = cmd.Run()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	if err != nil || !strings.HasSuffix(last, " passed, 0 failed") {
		t.Fatalf("node test/ui/e2e.mjs: %v: %s (screenshots and logs: test/ui/artifacts)", err, last)
	}
}

// testWriter streams the script's lines into the test log as they come.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
