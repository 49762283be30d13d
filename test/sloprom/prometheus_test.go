package sloprom

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/test/internal/testenv"
	"github.com/gennaker/gennaker/test/promenv"
)

// tool finds a Prometheus binary, skipping the test without it (failing
// under GENNAKER_REQUIRE_ALL=1).
func tool(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		testenv.Missing(t, fmt.Errorf("%s is not installed: run scripts/test-deps.sh (apt-get install prometheus)", name))
	}
	return bin
}

// run runs a command, failing the test with its output when it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// backfill turns the month into a TSDB directory with promtool.
func backfill(t *testing.T, mo *month, dir string) string {
	t.Helper()
	promtool := tool(t, "promtool")
	om := filepath.Join(dir, "month.om")
	if err := mo.writeOpenMetrics(om); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	run(t, promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=768h", om, data)
	os.Remove(om)
	return data
}

// startPrometheus serves the TSDB in data and evaluates rulesFile; it
// stops when the test ends.
func startPrometheus(t *testing.T, data, rulesFile string) string {
	t.Helper()
	return promenv.Run(t, promenv.Process{
		Config: fmt.Sprintf("global:\n  evaluation_interval: 1m\nrule_files: [%q]\n", rulesFile),
		TSDB:   data, Retention: "10y",
	})
}

// version is the installed Prometheus's version line.
func version(t *testing.T) string {
	out := run(t, tool(t, "prometheus"), "--version")
	line, _, _ := strings.Cut(out, "\n")
	return line
}

var _ = context.Background
