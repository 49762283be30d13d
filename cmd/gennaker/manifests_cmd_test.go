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
	old := map[string]string{"cart-v009": cm("cart-v009", "info"), "cart-v010": cm("cart-v010", "info")}
	cur := map[string]string{"cart-v011": cm("cart-v011", "info"), "cart-v012": cm("cart-v012", "debug")}
	var b strings.Builder
	if err := printDiff(&b, old, cur); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if !strings.Contains(got, "changed ConfigMap shop/cart-config") || !strings.Contains(got, "data") {
		t.Errorf("diff of the canaries v010 -> v012 = %q, want the ConfigMap's data changed", got)
	}
	if newestGroup(map[string]string{"a-v999": "", "a-v1000": ""}) != "a-v1000" {
		t.Error("newestGroup orders by number")
	}
}
