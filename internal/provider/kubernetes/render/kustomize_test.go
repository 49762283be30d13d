package render

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
)

func kustomizeFS() fstest.MapFS {
	m := fstest.MapFS{}
	for _, f := range []string{"base/kustomization.yaml", "base/deployment.yaml", "base/service.yaml",
		"overlays/prod/kustomization.yaml", "overlays/prod/replicas.yaml", "overlays/prod/app.properties"} {
		data, err := fsReadFile("kustomize/" + f)
		if err != nil {
			panic(err)
		}
		m[f] = &fstest.MapFile{Data: data}
	}
	return m
}

func TestKustomizeOverlay(t *testing.T) {
	t.Parallel()
	objs, err := Kustomize(context.Background(), kustomizeFS(), "overlays/prod", KustomizeOptions{
		Images: []Image{{Name: "cartservice", NewTag: "v1.0.3"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "kustomize-prod.yaml", Manifest(objs))

	d := find(t, objs, "Deployment", "prod-cart")
	containers, _, _ := unstructuredSlice(d.Object, "spec", "template", "spec", "containers")
	if got := containers[0].(map[string]any)["image"]; got != "registry.example.com/cartservice:v1.0.3" {
		t.Errorf("image = %v: the tag must be set and the overlay's newName kept", got)
	}
	if d.Source != "base/deployment.yaml" {
		t.Errorf("Deployment source = %q", d.Source)
	}
	for _, o := range objs {
		if _, ok := o.GetAnnotations()[originAnnotation]; ok {
			t.Errorf("%s keeps the origin annotation gennaker asked for", o.Key())
		}
	}
}

func TestKustomizeSetNamespaceAndNewImage(t *testing.T) {
	t.Parallel()
	objs, err := Kustomize(context.Background(), kustomizeFS(), "base", KustomizeOptions{
		Images:    []Image{{Name: "cartservice", NewName: "mirror.example.com/cart", NewTag: "v2"}},
		Namespace: "qa",
	})
	if err != nil {
		t.Fatal(err)
	}
	d := find(t, objs, "Deployment", "cart")
	containers, _, _ := unstructuredSlice(d.Object, "spec", "template", "spec", "containers")
	if got := containers[0].(map[string]any)["image"]; got != "mirror.example.com/cart:v2" {
		t.Errorf("image = %v", got)
	}
	for _, o := range objs {
		if o.GetNamespace() != "qa" {
			t.Errorf("%s not in namespace qa", o.Key())
		}
	}
}

func TestKustomizeRefusesUnsafeReferences(t *testing.T) {
	t.Parallel()
	with := func(kustomization string, extra ...string) fstest.MapFS {
		m := kustomizeFS()
		m["app/kustomization.yaml"] = &fstest.MapFile{Data: []byte(kustomization)}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = &fstest.MapFile{Data: []byte(extra[i+1])}
		}
		return m
	}
	tests := []struct {
		name   string
		fsys   fstest.MapFS
		dir    string
		target error
		want   []string
	}{{
		name:   "remote base over https",
		fsys:   with("resources:\n- https://github.com/kubernetes-sigs/kustomize//examples/multibases?ref=v1.0.6\n"),
		target: ErrRemote,
		want:   []string{"app/kustomization.yaml", "resources", "vendor the base"},
	}, {
		name:   "remote base in github shorthand",
		fsys:   with("resources:\n- github.com/org/repo/deploy\n"),
		target: ErrRemote,
	}, {
		name:   "remote base over ssh",
		fsys:   with("resources:\n- git@github.com:org/repo.git\n"),
		target: ErrRemote,
	}, {
		name:   "remote file",
		fsys:   with("patches:\n- path: https://example.com/patch.yaml\n"),
		target: ErrRemote,
		want:   []string{"patches.path"},
	}, {
		name:   "remote base in a base",
		fsys:   with("resources:\n- ../nested\n", "nested/kustomization.yaml", "components:\n- git::https://example.com/org/repo\n"),
		target: ErrRemote,
		want:   []string{"nested/kustomization.yaml", "components"},
	}, {
		name:   "climbing out of the files given",
		fsys:   with("resources:\n- ../../etc\n"),
		target: ErrUnsafeInput,
		want:   []string{`"../../etc"`, "leaves the files given"},
	}, {
		name:   "generator file outside",
		fsys:   with("configMapGenerator:\n- name: x\n  files:\n  - passwd=../../../etc/passwd\n"),
		target: ErrUnsafeInput,
		want:   []string{"configMapGenerator.files"},
	}, {
		name:   "absolute path",
		fsys:   with("resources:\n- /etc/kubernetes/admin.conf\n"),
		target: ErrUnsafeInput,
		want:   []string{"absolute path"},
	}, {
		name:   "helm chart inflation",
		fsys:   with("helmCharts:\n- name: redis\n  repo: https://charts.example.com\n"),
		target: ErrRefused,
		want:   []string{"helmCharts", "Helm input"},
	}, {
		name:   "missing resource",
		fsys:   with("resources:\n- nothere.yaml\n"),
		target: ErrInvalid,
		want:   []string{`"nothere.yaml" does not exist`},
	}, {
		name:   "no kustomization",
		fsys:   kustomizeFS(),
		dir:    "overlays",
		target: ErrInvalid,
		want:   []string{"overlays holds no kustomization.yaml"},
	}, {
		name:   "kustomize's own error",
		fsys:   with("resources:\n- cm.yaml\n", "app/cm.yaml", "kind: ConfigMap\nmetadata:\n  name: x\n"),
		target: ErrInvalid,
		want:   []string{"kustomization app"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.dir
			if dir == "" {
				dir = "app"
			}
			_, err := Kustomize(context.Background(), tt.fsys, dir, KustomizeOptions{})
			checkErr(t, err, tt.target, tt.want...)
		})
	}
}

func TestKustomizeLimits(t *testing.T) {
	t.Parallel()
	_, err := Kustomize(context.Background(), kustomizeFS(), "overlays/prod", KustomizeOptions{Limits: Limits{MaxInputBytes: 100}})
	checkErr(t, err, ErrLimit, "kustomize file bytes")

	_, err = Kustomize(context.Background(), kustomizeFS(), "overlays/prod", KustomizeOptions{Limits: Limits{MaxObjects: 2}})
	checkErr(t, err, ErrLimit, "objects")

	m := kustomizeFS()
	m["base/link.yaml"] = &fstest.MapFile{Data: []byte("/etc/passwd"), Mode: 0o777 | 1<<27 /* fs.ModeSymlink */}
	_, err = Kustomize(context.Background(), m, "overlays/prod", KustomizeOptions{})
	checkErr(t, err, ErrUnsafeInput, "base/link.yaml is a symlink")

	_, err = Kustomize(context.Background(), m, "../etc", KustomizeOptions{})
	checkErr(t, err, ErrUnsafeInput, "not a valid path")
	if !strings.Contains(err.Error(), "../etc") {
		t.Errorf("error %q does not name the directory", err)
	}
}
