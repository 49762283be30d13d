package main

import (
	"strings"
	"testing"
)

func TestManifestsDiffComparesTheNewestGroups(t *testing.T) {
	cm := func(group, value string) string {
		return "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cart-config-" + group[strings.LastIndex(group, "-")+1:] +
			"\n  namespace: shop\n  labels: {gennaker.dev/server-group: " + group + "}\ndata:\n  LEVEL: " + value + "\n"
	}
	old := envManifests{"prod": {"cart-v009": cm("cart-v009", "info"), "cart-v010": cm("cart-v010", "info")}}
	cur := envManifests{"prod": {"cart-v011": cm("cart-v011", "info"), "cart-v012": cm("cart-v012", "debug")}}
	var b strings.Builder
	if err := printDiff(&b, old, cur); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if !strings.Contains(got, "changed ConfigMap shop/cart-config") || !strings.Contains(got, "data") {
		t.Errorf("diff of the canaries v010 -> v012 = %q, want the ConfigMap's data changed", got)
	}

	// Names count per environment: cart-v011 in staging and in prod are two
	// groups, compared each with its own environment's.
	old = envManifests{"prod": {"cart-v010": cm("cart-v010", "info")}, "staging": {"cart-v010": cm("cart-v010", "debug")}}
	cur = envManifests{"prod": {"cart-v011": cm("cart-v011", "debug")}, "staging": {"cart-v011": cm("cart-v011", "debug")}}
	b.Reset()
	if err := printDiff(&b, old, cur); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "== prod\nchanged ConfigMap shop/cart-config: data.LEVEL\n== staging\nno changes\n"; got != want {
		t.Errorf("diff per environment = %q, want %q", got, want)
	}
	b.Reset()
	if err := printManifests(&b, cur); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, "# server group cart-v011 in prod\n") || !strings.Contains(got, "# server group cart-v011 in staging\n") {
		t.Errorf("manifests of one name in two environments = %q, want both, each under its environment", got)
	}
	if err := printDiff(&b, envManifests{"qa": old["prod"]}, cur); err == nil || !strings.Contains(err.Error(), "no environment in common") {
		t.Errorf("diff without a common environment: %v", err)
	}
	if newestGroup(map[string]string{"a-v999": "", "a-v1000": ""}) != "a-v1000" {
		t.Error("newestGroup orders by number")
	}
}
