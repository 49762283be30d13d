package local

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestScrapeTargetsListInstancesWithLabels(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	p := newTestProvider(t, dir)
	spec := sampleSpec(t, "shop-v001", "v1", 2, nil)
	ensureHealthy(t, p, spec)

	b, err := os.ReadFile(filepath.Join(dir, ScrapeTargetsFile))
	if err != nil {
		t.Fatal(err)
	}
	var groups []scrapeGroup
	if err := json.Unmarshal(b, &groups); err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 {
		t.Fatalf("want one scrape target per instance (2), got %s", b)
	}
	for _, g := range groups {
		if g.Labels["server_group"] != "shop-v001" || g.Labels["version"] != "v1" || len(g.Targets) != 1 {
			t.Errorf("target lacks its labels: %+v", g)
		}
	}
}
