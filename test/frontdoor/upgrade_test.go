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
// (SIGTERM, then the new binary). When the new build speaks the same
// front-door protocol, the front-door process of the old build keeps
// serving and the new server adopts it; when it speaks another, the old
// process hands its listening sockets over to a new one and exits. No
// request fails either way.
func TestUpgradeNeverInterruptsTraffic(t *testing.T) {
	t.Parallel()
	t.Run("same protocol", func(t *testing.T) { testUpgrade(t, false) })
	t.Run("new protocol", func(t *testing.T) { testUpgrade(t, true) })
}

func testUpgrade(t *testing.T, newProtocol bool) {
	dir := t.TempDir()
	installed := filepath.Join(dir, "gennaker")
	copyFile(t, exe, installed)
	// The new build differs from the old (its build id), as a new release would.
	next := filepath.Join(dir, "gennaker.new")
	ldflags := "-X=main.upgradeTestBuild=2"
	if newProtocol {
		ldflags = "-X=github.com/gennaker/gennaker/internal/provider/local.doorProtocolBuild=99"
	}
	build := exec.Command("go", "build", "-ldflags="+ldflags, "-o", next, "github.com/gennaker/gennaker/cmd/gennaker")
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
	now := r.doorPID()
	switch {
	case !newProtocol && now != door:
		t.Errorf("the upgraded server records front-door process %d, want the adopted %d", now, door)
	case newProtocol && now == door:
		t.Errorf("the upgraded server speaks another protocol but kept front-door process %d", door)
	case newProtocol:
		deadline := time.Now().Add(10 * time.Second)
		for alive(door) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := r.doorProcs(); len(got) != 1 || got[0] != now {
			t.Errorf("front-door processes %v run after the handover, want only the new %d (old %d)", got, now, door)
		}
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
