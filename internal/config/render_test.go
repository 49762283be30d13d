package config

import (
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// TestHelmAndKustomizeRenderIntoManifestSets: a chart and an overlay are
// rendered when the config is loaded, with the deployed version as a
// placeholder, into sets the Kubernetes provider turns into server groups.
func TestHelmAndKustomizeRenderIntoManifestSets(t *testing.T) {
	t.Parallel()
	cfg, err := LoadDir("testdata/render", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	apps := map[string]model.Application{}
	for _, a := range cfg.Applications {
		apps[a.Name] = a
	}
	if len(apps) != 2 {
		t.Fatalf("loaded %d applications (the chart's and overlay's YAML must not be read as config)", len(apps))
	}
	for name, want := range map[string][]string{
		"cart": {"registry.example.com/cart:3.1.4", "cart-config-v007", `RELEASE_VERSION: 3.1.4`},
		"web":  {"registry.example.com/web:3.1.4", "web-settings-v007"},
	} {
		sg := model.ServerGroup{Name: name + "-v007", Application: name, Sequence: 7, Version: "3.1.4", Instances: 2}
		set, err := kubernetes.BuildManifestSet("shop", sg, apps[name])
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, apps[name].ManifestTemplate)
		}
		var all strings.Builder
		for _, o := range set.Objects() {
			all.WriteString(fmtObject(o))
		}
		for _, w := range want {
			if !strings.Contains(all.String(), w) {
				t.Errorf("%s: the rendered set lacks %q:\n%s", name, w, all.String())
			}
		}
		if set.Service == nil {
			t.Errorf("%s: the set's Service was not taken as the stable Service", name)
		}
	}
}

func fmtObject(o map[string]any) string {
	var b strings.Builder
	var walk func(k string, v any)
	walk = func(k string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for kk, vv := range x {
				walk(kk, vv)
			}
		case []any:
			for _, vv := range x {
				walk(k, vv)
			}
		case string:
			b.WriteString(k + ": " + x + "\n")
		}
	}
	walk("", o)
	return b.String()
}
