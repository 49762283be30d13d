// Package deploykube checks deploy/kubernetes, the kustomization that runs
// gennaker itself on Kubernetes: it renders the base and the example overlay
// with kustomize (krusty, as `kubectl kustomize` does), checks the
// invariants the docs promise (two replicas, the store URL from a Secret, a
// locked-down container, probes on a path the server serves, the Role of
// docs/kubernetes-rbac.yaml), runs the container's command with the real
// binary, and applies every object to a real API server (test/k8senv).
package deploykube

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gennaker/gennaker/test/k8senv"
	"github.com/gennaker/gennaker/test/testserver"
)

// exe is the gennaker binary under test (testserver.Main builds it).
var exe string

func TestMain(m *testing.M) { testserver.Main(m, &exe) }

// repoDir is the module's root directory.
func repoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Kustomization directories, relative to the module's root.
const (
	baseDir    = "deploy/kubernetes/base"
	exampleDir = "deploy/kubernetes/example"
)

// render builds the kustomization in dir (relative to the module's root)
// from disk, with the options `kubectl kustomize` uses (no plugins, files
// only under the kustomization's root).
func render(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	opts := krusty.MakeDefaultOptions()
	opts.PluginConfig = types.DisabledPluginConfig()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	res, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), filepath.Join(repoDir(), dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range res.Resources() {
		m, err := r.Map()
		if err != nil {
			t.Fatalf("kustomize build %s: %s: %v", dir, r.CurId(), err)
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return objs
}

// rendered is a kustomize build indexed by kind (one object of each kind).
type rendered map[string]*unstructured.Unstructured

func byKind(t *testing.T, objs []*unstructured.Unstructured) rendered {
	t.Helper()
	r := rendered{}
	for _, o := range objs {
		if _, dup := r[o.GetKind()]; dup {
			t.Fatalf("two objects of kind %s; the checks expect one of each", o.GetKind())
		}
		r[o.GetKind()] = o
	}
	return r
}

// get returns the object of kind, failing the test when there is none.
func (r rendered) get(t *testing.T, kind string) *unstructured.Unstructured {
	t.Helper()
	o, ok := r[kind]
	if !ok {
		t.Fatalf("no %s rendered", kind)
	}
	return o
}

// The objects the base must hold, by kind, and their API group and version.
var wantKinds = map[string]schema.GroupVersion{
	"ServiceAccount":      {Version: "v1"},
	"Role":                {Group: "rbac.authorization.k8s.io", Version: "v1"},
	"RoleBinding":         {Group: "rbac.authorization.k8s.io", Version: "v1"},
	"Deployment":          {Group: "apps", Version: "v1"},
	"Service":             {Version: "v1"},
	"PodDisruptionBudget": {Group: "policy", Version: "v1"},
}

// TestBaseIsNamespaceless: the base leaves the namespace to an overlay and
// holds no Secret (the store URL's Secret is created by hand) and no
// Namespace.
func TestBaseIsNamespaceless(t *testing.T) {
	objs := byKind(t, render(t, baseDir))
	for kind, gv := range wantKinds {
		o := objs.get(t, kind)
		if got := o.GroupVersionKind().GroupVersion(); got != gv {
			t.Errorf("%s is %s, want %s", kind, got, gv)
		}
	}
	for kind, o := range objs {
		if _, ok := wantKinds[kind]; !ok {
			t.Errorf("the base holds a %s %q it should not (a Secret or Namespace is the user's to create)", kind, o.GetName())
		}
		if ns := o.GetNamespace(); ns != "" {
			t.Errorf("%s %q has namespace %q in the base; an overlay picks it", kind, o.GetName(), ns)
		}
	}
}

// rbacDoc is the Role users are told to create for gennaker.
func rbacDoc(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(k8senv.RBACManifest())
	if err != nil {
		t.Fatal(err)
	}
	objs, err := k8senv.DecodeYAML(data)
	if err != nil {
		t.Fatalf("%s: %v", k8senv.RBACManifest(), err)
	}
	for _, o := range objs {
		if o.GetKind() == "Role" {
			return o
		}
	}
	t.Fatalf("%s holds no Role", k8senv.RBACManifest())
	return nil
}
