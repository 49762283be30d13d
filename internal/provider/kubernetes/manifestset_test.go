package kubernetes

import (
	"errors"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/provider/kubernetes/manifest"
)

const cartSet = `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart}
spec:
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec:
      initContainers:
      - name: init
        image: busybox
        env: [{name: MODE, valueFrom: {configMapKeyRef: {name: cart-config, key: mode}}}]
      containers:
      - name: cart
        image: "{{image}}"
        envFrom: [{configMapRef: {name: cart-config}}, {configMapRef: {name: shared-elsewhere}}]
      volumes:
      - {name: a, configMap: {name: cart-config}}
      - name: b
        projected: {sources: [{configMap: {name: cart-config}}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cart-config}
data: {version: "{{version}}"}
---
apiVersion: v1
kind: Service
metadata: {name: checkout}
spec:
  ports: [{name: grpc, port: 7070}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: cart}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: cart}
spec: {minReplicas: 3, maxReplicas: 4, scaleTargetRef: {kind: Deployment, name: cart}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: cart}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: cart}}}
`

// TestBuildManifestSetSortsAndVersions: the set's objects are sorted into
// versioned copies (renamed, aimed at the group), the stable Service and
// shared objects; the Deployment's references to the set's ConfigMaps are
// rewritten everywhere and others left alone.
func TestBuildManifestSetSortsAndVersions(t *testing.T) {
	t.Parallel()
	app := testApp()
	app.ManifestTemplate = cartSet
	sg := testGroup(3, "2.0.0", 1)
	sg.Environment = "prod"
	set, err := BuildManifestSet("shop", sg, app)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, o := range set.Versioned {
		names[o["kind"].(string)] = child(o, "metadata")["name"].(string)
		if l := child(child(o, "metadata"), "labels"); l[LabelServerGroup] != "checkout-v003" || l[LabelEnvironment] != "prod" {
			t.Errorf("%s labels %v", o["kind"], l)
		}
	}
	want := map[string]string{"ConfigMap": "cart-config-v003", "HorizontalPodAutoscaler": "cart-v003", "PodDisruptionBudget": "cart-v003"}
	for k, v := range want {
		if names[k] != v {
			t.Errorf("versioned %s = %q, want %q", k, names[k], v)
		}
	}
	if set.Service == nil || child(set.Service, "metadata")["name"] != "checkout" {
		t.Errorf("stable Service = %v", set.Service)
	}
	if len(set.Shared) != 1 || set.Shared[0]["kind"] != "ServiceAccount" {
		t.Errorf("shared = %v", set.Shared)
	}
	if !set.HasAutoscaler {
		t.Error("HasAutoscaler is false")
	}
	for _, o := range set.Versioned {
		spec, _ := o["spec"].(map[string]any)
		switch o["kind"] {
		case "ConfigMap":
			if o["spec"] != nil || child(o, "data")["version"] != "2.0.0" {
				t.Errorf("ConfigMap = %v", o)
			}
		case "HorizontalPodAutoscaler":
			if spec["minReplicas"] != int64(1) || spec["maxReplicas"] != int64(4) || child(spec, "scaleTargetRef")["name"] != "checkout-v003" {
				t.Errorf("HPA spec = %v, want min the group's 1 instance, aimed at checkout-v003", spec)
			}
		case "PodDisruptionBudget":
			if got := child(child(spec, "selector"), "matchLabels"); got[LabelServerGroup] != "checkout-v003" || len(got) != 2 {
				t.Errorf("PDB selector = %v", got)
			}
		}
	}
	d, err := BuildDeployment("shop", sg, app)
	if err != nil {
		t.Fatal(err)
	}
	text := canonicalString(d) + " "
	if c := strings.Count(text, "cart-config-v003"); c != 4 {
		t.Errorf("%d references to cart-config-v003, want 4 (envFrom, env valueFrom, volume, projected): %s", c, text)
	}
	if strings.Contains(text, "cart-config ") || !strings.Contains(text, "shared-elsewhere") {
		t.Errorf("references not rewritten as they should be: %s", text)
	}
}

func TestManifestSetRefusesSecretsAndStrangers(t *testing.T) {
	t.Parallel()
	app := testApp()
	for _, literal := range []string{"stringData: {password: hunter2}", "data: {password: aHVudGVyMg==}"} {
		app.ManifestTemplate = cartSet + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: db}\n" + literal + "\n"
		_, err := BuildManifestSet("shop", testGroup(1, "1", 1), app)
		if !errors.Is(err, manifest.ErrSecret) || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "aHVu") {
			t.Fatalf("%s: err = %v, want ErrSecret without the value", literal, err)
		}
	}
	app.ManifestTemplate = cartSet + "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n"
	if _, err := BuildManifestSet("shop", testGroup(1, "1", 1), app); err == nil || !strings.Contains(err.Error(), "StatefulSet") {
		t.Fatalf("err = %v, want one naming the StatefulSet", err)
	}
}

// canonicalString flattens an object's keys and string values, space separated.
func canonicalString(o map[string]any) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				b.WriteString(k + ": ")
				walk(vv)
				b.WriteString(" ")
			}
		case []any:
			for _, vv := range x {
				walk(vv)
				b.WriteString(" ")
			}
		default:
			b.WriteString(strings.TrimSpace(strings.ReplaceAll(toString(x), "\n", " ")))
		}
	}
	walk(o)
	return b.String()
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// TestManifestSetSecretsByReference: a Secret whose values are references
// is versioned like a ConfigMap and the Deployment's references follow it;
// the rendered set (what a deploy records) holds the references, not values.
func TestManifestSetSecretsByReference(t *testing.T) {
	t.Parallel()
	app := testApp()
	app.ManifestTemplate = strings.Replace(cartSet, "envFrom: [{configMapRef: {name: cart-config}}",
		"envFrom: [{secretRef: {name: cart-db}}, {configMapRef: {name: cart-config}}", 1) +
		"---\napiVersion: v1\nkind: Secret\nmetadata: {name: cart-db}\nstringData: {password: \"{{secretRef env:CART_DB_PASSWORD}}\"}\n"
	set, err := BuildManifestSet("shop", testGroup(4, "1", 1), app)
	if err != nil {
		t.Fatal(err)
	}
	text := canonicalString(set.Deployment) + " "
	if !strings.Contains(text, "cart-db-v004 ") {
		t.Errorf("envFrom secretRef not rewritten to the group's copy: %s", text)
	}
	var found bool
	for _, o := range set.Versioned {
		if o["kind"] == "Secret" {
			found = child(o, "metadata")["name"] == "cart-db-v004" && child(o, "stringData")["password"] == "{{secretRef env:CART_DB_PASSWORD}}"
		}
	}
	if !found {
		t.Errorf("versioned Secret missing or resolved in the set: %v", set.Versioned)
	}
}
