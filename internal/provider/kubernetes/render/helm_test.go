package render

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func shopOptions() HelmOptions {
	return HelmOptions{
		ReleaseName: "shop-v003",
		Namespace:   "shop",
		ValuesFiles: []ValuesFile{{Name: "prod.yaml", Data: []byte("config:\n  LOG_LEVEL: warn\nimage:\n  tag: from-values-file\n")}},
		Set:         []string{"autoscaling.maxReplicas=10"},
		Gennaker:    Identity{App: "shop", Environment: "prod", ServerGroup: "shop-v003", Version: "1.4.2"},
		KubeVersion: "v1.33.2",
	}
}

func TestHelmRendersChartDirectory(t *testing.T) {
	t.Parallel()
	objs, err := Helm(context.Background(), Chart{FS: testdataFS(), Dir: "charts/shop"}, shopOptions())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "shop.yaml", Manifest(objs))

	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind()+" "+o.GetName())
	}
	want := "ConfigMap shop-v003-shop,Service shop-v003-cache,Service shop-v003-shop,Deployment shop-v003-cache,Deployment shop-v003-shop,HorizontalPodAutoscaler shop-v003-shop"
	if got := strings.Join(kinds, ","); got != want {
		t.Errorf("objects in install order:\n got %s\nwant %s", got, want)
	}
	for _, o := range objs {
		if o.GetKind() == "Pod" {
			t.Errorf("the test hook %s was rendered", o.GetName())
		}
	}
}

// The version gennaker deploys wins over the chart's values, values files
// and --set, so a values file cannot pin an old image by accident.
func TestHelmImageTagIsTheVersion(t *testing.T) {
	t.Parallel()
	opts := shopOptions()
	opts.Set = append(opts.Set, "image.tag=from-set")
	objs, err := Helm(context.Background(), Chart{FS: testdataFS(), Dir: "charts/shop"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	d := find(t, objs, "Deployment", "shop-v003-shop")
	containers, _, _ := unstructuredSlice(d.Object, "spec", "template", "spec", "containers")
	if got := containers[0].(map[string]any)["image"]; got != "registry.example.com/shop:1.4.2" {
		t.Errorf("image = %v, want the deployed version's tag", got)
	}
}

func TestHelmArchiveRendersLikeDirectory(t *testing.T) {
	t.Parallel()
	dirObjs, err := Helm(context.Background(), Chart{FS: testdataFS(), Dir: "charts/shop"}, shopOptions())
	if err != nil {
		t.Fatal(err)
	}
	// The archive holds the subchart packaged too, as `helm dependency build` leaves it.
	sub := packageChart(t, testdataFS(), "charts/shop/charts/cache", "cache")
	files := fstest.MapFS{}
	for _, f := range []string{"Chart.yaml", "values.yaml", "values.schema.json", "templates/_helpers.tpl", "templates/deployment.yaml",
		"templates/service.yaml", "templates/configmap.yaml", "templates/hpa.yaml", "templates/NOTES.txt", "templates/tests/test-connection.yaml"} {
		data, err := fsReadFile("charts/shop/" + f)
		if err != nil {
			t.Fatal(err)
		}
		files["shop/"+f] = &fstest.MapFile{Data: data}
	}
	files["shop/charts/cache-0.1.0.tgz"] = &fstest.MapFile{Data: sub}
	archive := packageChart(t, files, "shop", "shop")
	arcObjs, err := Helm(context.Background(), Chart{Name: "shop-1.2.0.tgz", Archive: archive}, shopOptions())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := string(Manifest(dirObjs)), string(Manifest(arcObjs)); a != b {
		t.Errorf("archive and directory render differently:\n%s\n----\n%s", a, b)
	}
}

func TestHelmSubchartCondition(t *testing.T) {
	t.Parallel()
	opts := shopOptions()
	opts.Set = []string{"cache.enabled=false"}
	objs, err := Helm(context.Background(), Chart{FS: testdataFS(), Dir: "charts/shop"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.Contains(o.GetName(), "cache") {
			t.Errorf("%s rendered with cache.enabled=false", o.Key())
		}
	}
}

func TestHelmErrors(t *testing.T) {
	t.Parallel()
	chart := func(files map[string]string) Chart {
		m := fstest.MapFS{"Chart.yaml": {Data: []byte("apiVersion: v2\nname: bad\nversion: 0.1.0\n")}}
		for k, v := range files {
			m[k] = &fstest.MapFile{Data: []byte(v)}
		}
		return Chart{FS: m, Dir: "."}
	}
	tests := []struct {
		name   string
		chart  Chart
		opts   func(*HelmOptions)
		target error
		want   []string // substrings of the message
	}{{
		name:   "template error keeps file and line",
		chart:  chart(map[string]string{"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.name }}\n"}),
		target: ErrInvalid,
		want:   []string{"bad/templates/cm.yaml:4", "nil pointer"},
	}, {
		name:   "required value names the value",
		chart:  chart(map[string]string{"templates/cm.yaml": "{{ required \"set database.host\" .Values.database }}"}),
		target: ErrInvalid,
		want:   []string{"bad/templates/cm.yaml:1", "set database.host"},
	}, {
		name:   "rendered YAML that does not parse shows the line",
		chart:  chart(map[string]string{"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b: c\n"}),
		target: ErrInvalid,
		want:   []string{"bad/templates/cm.yaml", "line 6", `"  a: b: c"`},
	}, {
		name:   "object without a name",
		chart:  chart(map[string]string{"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"}),
		target: ErrInvalid,
		want:   []string{"bad/templates/cm.yaml", "no metadata.name"},
	}, {
		name: "same object twice",
		chart: chart(map[string]string{
			"templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
			"templates/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
		}),
		target: ErrInvalid,
		want:   []string{"ConfigMap x is rendered twice", "bad/templates/a.yaml", "bad/templates/b.yaml"},
	}, {
		name:   "missing vendored dependency",
		chart:  Chart{FS: fstest.MapFS{"Chart.yaml": {Data: []byte("apiVersion: v2\nname: bad\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 1.0.0\n  repository: https://charts.example.com\n")}}},
		target: ErrInvalid,
		want:   []string{"redis", "helm dependency build"},
	}, {
		name:   "library chart",
		chart:  Chart{FS: fstest.MapFS{"Chart.yaml": {Data: []byte("apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n")}}},
		target: ErrRefused,
		want:   []string{`type "library"`},
	}, {
		name:   "kubeVersion constraint",
		chart:  Chart{FS: fstest.MapFS{"Chart.yaml": {Data: []byte("apiVersion: v2\nname: new\nversion: 0.1.0\nkubeVersion: '>=1.40.0-0'\n")}}},
		target: ErrRefused,
		want:   []string{">=1.40.0-0", "v1.34.0"},
	}, {
		name:   "values against the schema",
		chart:  Chart{FS: testdataFS(), Dir: "charts/shop"},
		opts:   func(o *HelmOptions) { o.Set = []string{"replicaCount=-1"} },
		target: ErrInvalid,
		want:   []string{"shop/values.schema.json", "/replicaCount"},
	}, {
		name: "schema refs are never fetched",
		chart: chart(map[string]string{
			"values.schema.json": `{"$ref": "https://schemas.example.com/values.json"}`,
		}),
		target: ErrInvalid,
		want:   []string{"https://schemas.example.com/values.json", "only references within values.schema.json"},
	}, {
		name:   "bad --set",
		chart:  chart(nil),
		opts:   func(o *HelmOptions) { o.Set = []string{"novalue"} },
		target: ErrInvalid,
		want:   []string{`set "novalue"`},
	}, {
		name:   "no release name",
		chart:  chart(nil),
		opts:   func(o *HelmOptions) { o.ReleaseName = "" },
		target: ErrInvalid,
		want:   []string{"no release name"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := HelmOptions{ReleaseName: "r"}
			if tt.opts != nil {
				tt.opts(&opts)
			}
			_, err := Helm(context.Background(), tt.chart, opts)
			checkErr(t, err, tt.target, tt.want...)
		})
	}
}

func TestHelmCRDsAndHooks(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"Chart.yaml":             {Data: []byte("apiVersion: v2\nname: op\nversion: 0.1.0\n")},
		"crds/widgets.yaml":      {Data: []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n")},
		"templates/cm.yaml":      {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n")},
		"templates/migrate.yaml": {Data: []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n")},
	}
	c := Chart{FS: fsys}
	_, err := Helm(context.Background(), c, HelmOptions{ReleaseName: "r", Hooks: Include})
	checkErr(t, err, ErrRefused, "op/crds/widgets.yaml", "crds: skip")

	_, err = Helm(context.Background(), c, HelmOptions{ReleaseName: "r", CRDs: Skip})
	checkErr(t, err, ErrRefused, "batch/Job migrate (pre-install,pre-upgrade, op/templates/migrate.yaml)", "hooks: skip")

	objs, err := Helm(context.Background(), c, HelmOptions{ReleaseName: "r", CRDs: Skip, Hooks: Skip})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].GetName() != "cfg" {
		t.Errorf("with CRDs and hooks skipped got %v, want only the ConfigMap", keys(objs))
	}

	objs, err = Helm(context.Background(), c, HelmOptions{ReleaseName: "r", CRDs: Include, Hooks: Include})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys(objs), ", "); got != "ConfigMap cfg, apiextensions.k8s.io/CustomResourceDefinition widgets.example.com, batch/Job migrate" {
		t.Errorf("with CRDs and hooks included got %s", got)
	}
	if h := objs[2].HelmHooks(); strings.Join(h, ",") != "pre-install,pre-upgrade" {
		t.Errorf("hooks of the Job = %v", h)
	}
	if objs[1].Source != "op/crds/widgets.yaml" {
		t.Errorf("CRD source = %q", objs[1].Source)
	}
}

func checkErr(t *testing.T, err, target error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", target)
	}
	if !errors.Is(err, target) {
		t.Errorf("error %q is not %v", err, target)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func keys(objs []Object) []string {
	var s []string
	for _, o := range objs {
		s = append(s, o.Key().String())
	}
	return s
}

func find(t *testing.T, objs []Object, kind, name string) Object {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s in %v", kind, name, keys(objs))
	return Object{}
}

var _ = time.Second
