package render

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

// Object is one rendered Kubernetes object and where it came from.
type Object struct {
	// Unstructured is the object as rendered. Helm objects keep the
	// namespace their template gave, often none: the caller applies those
	// in the release namespace, as Helm does.
	*unstructured.Unstructured
	// Source names the file that produced the object, for error messages
	// and the manifest record: a chart template such as
	// "checkout/templates/deployment.yaml" (subcharts as
	// "checkout/charts/redis/templates/service.yaml"), a chart CRD file
	// ("checkout/crds/widgets.yaml"), or for kustomize the resource's path
	// relative to the root given ("base/deployment.yaml"), or the
	// kustomization that generated it.
	Source string
}

// Key identifies an object in a set: two objects with the same key are the
// same Kubernetes object.
type Key struct {
	Group, Kind, Namespace, Name string
}

// String reads like "apps/Deployment default/checkout" ("Service checkout"
// for the core group and no namespace).
func (k Key) String() string {
	gk := k.Kind
	if k.Group != "" {
		gk = k.Group + "/" + k.Kind
	}
	if k.Namespace == "" {
		return gk + " " + k.Name
	}
	return gk + " " + k.Namespace + "/" + k.Name
}

// Key returns the object's identity.
func (o Object) Key() Key {
	gvk := o.GroupVersionKind()
	return Key{Group: gvk.Group, Kind: gvk.Kind, Namespace: o.GetNamespace(), Name: o.GetName()}
}

// HelmHooks returns the Helm hook events the object is annotated with
// (helm.sh/hook), empty for an ordinary object.
func (o Object) HelmHooks() []string {
	v, ok := o.GetAnnotations()[helmHookAnnotation]
	if !ok {
		return nil
	}
	var hooks []string
	for h := range strings.SplitSeq(v, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hooks = append(hooks, h)
		}
	}
	return hooks
}

const helmHookAnnotation = "helm.sh/hook"

// kindRank orders kinds as Helm installs them; kinds Helm does not list
// come after, alphabetically.
func kindRank(kind string) int {
	if i := slices.Index(releaseutil.InstallOrder, kind); i >= 0 {
		return i
	}
	return len(releaseutil.InstallOrder)
}

// Sort orders objects as Helm installs them (Namespace, ServiceAccount,
// ConfigMap ... Service ... Deployment, HorizontalPodAutoscaler ...), then by
// kind, namespace, name and source, so the same set always sorts the same.
func Sort(objs []Object) {
	slices.SortStableFunc(objs, compareObjects)
}

func compareObjects(a, b Object) int {
	ak, bk := a.Key(), b.Key()
	if c := kindRank(ak.Kind) - kindRank(bk.Kind); c != 0 {
		return c
	}
	for _, p := range [][2]string{
		{ak.Kind, bk.Kind}, {ak.Group, bk.Group}, {ak.Namespace, bk.Namespace},
		{ak.Name, bk.Name}, {a.GetAPIVersion(), b.GetAPIVersion()}, {a.Source, b.Source},
	} {
		if c := strings.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	return 0
}

// checkSet refuses a set with two objects of the same identity (the second
// would silently replace the first when applied) and enforces the object
// count limit.
func checkSet(source string, objs []Object, lim Limits) error {
	if len(objs) > lim.MaxObjects {
		return &LimitError{Source: source, What: "objects rendered", Limit: int64(lim.MaxObjects), Got: int64(len(objs))}
	}
	seen := make(map[Key]string, len(objs))
	for _, o := range objs {
		k := o.Key()
		if prev, ok := seen[k]; ok {
			return fmt.Errorf("%s: %w: %s is rendered twice, by %s and by %s: give one of them another name",
				source, ErrInvalid, k, prev, o.Source)
		}
		seen[k] = o.Source
	}
	return nil
}

// decodeJSONMap makes an Object of a decoded object (kustomize's output).
func decodeJSONMap(source string, m map[string]any) (Object, error) {
	u := &unstructured.Unstructured{Object: m}
	if u.GetKind() == "" || u.GetAPIVersion() == "" || u.GetName() == "" {
		return Object{}, fmt.Errorf("%s: %w: an object without apiVersion, kind or metadata.name: %v", source, ErrInvalid, u.GetName())
	}
	return Object{Unstructured: u}, nil
}

// unstructuredRemoveAnnotations drops an emptied annotations map, so the
// object reads as it was written.
func unstructuredRemoveAnnotations(o Object) {
	unstructured.RemoveNestedField(o.Object, "metadata", "annotations")
}
