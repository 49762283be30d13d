package render

import (
	"context"
	"strings"
	"testing"
)

func TestManifestRoundTripAndDiff(t *testing.T) {
	t.Parallel()
	old, err := Helm(context.Background(), Chart{FS: testdataFS(), Dir: "charts/shop"}, shopOptions())
	if err != nil {
		t.Fatal(err)
	}
	recorded := Manifest(old)
	back, err := ParseManifest(recorded)
	if err != nil {
		t.Fatal(err)
	}
	if string(Manifest(back)) != string(recorded) {
		t.Fatalf("the manifest does not read back to itself:\n%s", Manifest(back))
	}
	if d := Diff(old, back); len(d) != 0 {
		t.Errorf("a set differs from itself read back: %v", d)
	}

	opts := shopOptions()
	opts.Gennaker.Version = "1.5.0"
	opts.Set = []string{"cache.enabled=false", "autoscaling.enabled=false", "config.NEW_FLAG=on"}
	next, err := Helm(context.Background(), Chart{FS: testdataFS(), Dir: "charts/shop"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range Diff(back, next) {
		got = append(got, c.String())
	}
	want := []string{
		`changed ConfigMap shop-v003-shop: data.NEW_FLAG, metadata.labels["gennaker.dev/version"]`,
		`changed Service shop-v003-shop: metadata.labels["gennaker.dev/version"]`,
		`changed apps/Deployment shop-v003-shop: metadata.labels["gennaker.dev/version"], spec.replicas, spec.template.metadata.annotations["checksum/config"], spec.template.metadata.labels["gennaker.dev/version"], spec.template.spec.containers[0].image`,
		`removed Service shop-v003-cache`,
		`removed apps/Deployment shop-v003-cache`,
		`removed autoscaling/HorizontalPodAutoscaler shop-v003-shop`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseManifestErrors(t *testing.T) {
	t.Parallel()
	_, err := ParseManifest([]byte("---\n# Source: x.yaml\nkind: ConfigMap\nmetadata:\n  name: a\n"))
	checkErr(t, err, ErrInvalid, "x.yaml", "no apiVersion")
	_, err = ParseManifest([]byte("- a\n- b\n"))
	checkErr(t, err, ErrInvalid, "not a Kubernetes object")
	objs, err := ParseManifest([]byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n"))
	if err != nil || len(objs) != 1 || objs[0].GetName() != "a" {
		t.Errorf("v1 List: %v %v", keys(objs), err)
	}
}
