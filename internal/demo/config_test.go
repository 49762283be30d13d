package demo

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/config"
)

// The demo's config is valid, and its application lets each release set
// the variables it sets (the server refuses any other).
func TestConfigAllowsWhatReleasesSet(t *testing.T) {
	t.Parallel()
	dir, err := writeConfig(Options{DataDir: t.TempDir(), Exe: "/usr/local/bin/gennaker", Interval: 10 * time.Second}, "127.0.0.1:18080")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadDir(dir, config.LoadOptions{})
	if err != nil {
		t.Fatalf("the demo's config: %v", err)
	}
	if len(cfg.Applications) != 1 {
		t.Fatalf("%d applications, want the sample", len(cfg.Applications))
	}
	for _, rel := range Releases {
		if err := cfg.Applications[0].CheckDeployEnv(rel.Env); err != nil {
			t.Errorf("release %s: %v", rel.Version, err)
		}
	}
}
