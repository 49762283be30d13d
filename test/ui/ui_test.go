// Package ui runs the web UI's end-to-end tests in a real headless Chromium
// against a real gennaker server: e2e.mjs, and oidc.mjs, which logs in
// through a real OpenID Connect provider (test/oidcenv). It builds the
// binary once, installs playwright-core with `npm ci` when node_modules is
// missing, and fails when a script reports a failure.
package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/test/internal/testenv"
	"github.com/gennaker/gennaker/test/testserver"
)

// exe is the gennaker binary under test, built once by TestMain.
var exe string

func TestMain(m *testing.M) { testserver.Main(m, &exe) }

const chromium = "/usr/bin/chromium"

// missing skips the test, or fails it when every suite is required (make test).
func missing(t *testing.T, what string) {
	t.Helper()
	testenv.Missing(t, errors.New(what+": run scripts/test-deps.sh to install the UI test's dependencies (Debian chromium, node and npm, then npm ci in test/ui)"))
}

func TestUIEndToEnd(t *testing.T) {
	node := uiPrerequisites(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, node, "e2e.mjs")
	cmd.Env = append(os.Environ(), "GENNAKER_BIN="+exe)
	cmd.Stdout = io.MultiWriter(&out, testWriter{t})
	cmd.Stderr = cmd.Stdout
	if err := runScript(cmd, &out); err != nil {
		t.Fatalf("node test/ui/e2e.mjs: %v (screenshots and logs: test/ui/artifacts)", err)
	}
}

// uiPrerequisites skips (or fails, under make test) without Chromium, node
// and playwright-core, and returns node's path.
func uiPrerequisites(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		missing(t, chromium+" is missing")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			missing(t, "test/ui/node_modules is missing and npm is not on PATH")
		}
		if out, err := exec.Command(npm, "ci", "--no-audit", "--no-fund").CombinedOutput(); err != nil {
			t.Fatalf("npm ci in test/ui: %v\n%s", err, out)
		}
	}
	return node
}

// scriptResult matches the last line of e2e.mjs and oidc.mjs.
var scriptResult = regexp.MustCompile(`^(\d+) passed, (\d+) failed$`)

// runScript runs a browser script whose output goes to out too, and
// returns an error unless it succeeds with the last line "N passed, 0
// failed", N > 0.
func runScript(cmd *exec.Cmd, out *bytes.Buffer) error {
	err := cmd.Run()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	if err != nil {
		return fmt.Errorf("%w: %s", err, last)
	}
	if m := scriptResult.FindStringSubmatch(last); m == nil || m[1] == "0" || m[2] != "0" {
		return fmt.Errorf("the last line is %q, want \"N passed, 0 failed\" with N > 0", last)
	}
	return nil
}

// testWriter streams the script's lines into the test log as they come.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
