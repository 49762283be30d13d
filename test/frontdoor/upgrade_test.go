package frontdoor

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// An upgrade: the server's binary is replaced by a new build at the same
// path (renamed over it, as package managers do) and the server restarted
// (SIGTERM, then the new binary). The front-door process of the old build
// keeps serving throughout and the new server adopts it: no request fails.
func TestUpgradeNeverInterruptsTraffic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	installed := filepath.Join(dir, "gennaker")
	copyFile(t, exe, installed)
	// The new build differs from the old (its build id), as a new release would.
	next := filepath.Join(dir, "gennaker.new")
	build := exec.Command("go", "build", "-ldflags=-X=main.upgradeTestBuild=2", "-o", next, "github.com/gennaker/gennaker/cmd/gennaker")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the new gennaker: %v\n%s", err, out)
	}

	r := newRig(t, installed)
	r.stop()
	r.start(false) // a server people restart: SIGTERM leaves everything running
	r.apply(highlander())
	r.mustSucceed(r.deploy("highlander", "v1"), time.Minute)
	waitServes(t, r.frontDoor, 5*time.Second)
	door := r.doorPID()
	pr := startProbe(t, r.frontDoor)
	time.Sleep(500 * time.Millisecond)

	r.stop()
	if err := os.Rename(next, installed); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // no server at all
	r.start(true)
	if got := r.doorPID(); got != door {
		t.Errorf("the upgraded server records front-door process %d, want the adopted %d", got, door)
	}
	r.mustSucceed(r.deploy("highlander", "v2"), time.Minute)
	time.Sleep(500 * time.Millisecond)
	pr.halt()
	t.Logf("traffic through the upgrade and a deploy: %s", pr)
	if n := pr.failed.Load(); n > 0 {
		t.Errorf("%d requests failed across the upgrade, want none: %s", n, pr)
	}
	if pr.byVersion["version=v2"] == 0 {
		t.Errorf("the upgraded server's deploy of v2 never served: %s", pr)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
