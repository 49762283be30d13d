package kubernetes

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes/manifest"
	"github.com/gennaker/gennaker/internal/provider/kubernetes/render"
)

// A manifest set is an application's own Kubernetes manifests (a file or
// directory of them, a rendered Helm chart or kustomize overlay): exactly
// one Deployment, which becomes each server group's workload, and the
// objects that go with it. gennaker sorts them by what a server group needs:
//
//   - versioned, one copy per server group named <name>-vNNN and owned by
//     its Deployment (deleted with the group): ConfigMaps and Secrets (the
//     Deployment's references to them are rewritten, so a rollback to a group brings
//     back the configuration it ran with, as Spinnaker does),
//     HorizontalPodAutoscalers (aimed at the group's Deployment) and
//     PodDisruptionBudgets (selecting the group's pods);
//   - the stable Service: the Service named like the application's stable
//     Service gives its ports, labels, annotations and type; gennaker sets
//     its selector (see Route);
//   - shared, applied as they are for every group and never deleted by
//     gennaker: ServiceAccounts and other Services.
//
// Secrets are versioned like ConfigMaps, but their values are references
// ({{secretRef env:NAME}}, {{secretRef file:/path}}) the gennaker server
// reads when it applies the group (resolveSecret): a value is never stored
// in gennaker's config or records. Package manifest checks the kinds.

// ManifestSet is a manifest set rendered for one server group.
type ManifestSet struct {
	// Deployment is the server group's Deployment, as applied.
	Deployment map[string]any
	// Versioned belong to the server group (ConfigMaps, HPAs, PDBs).
	Versioned []map[string]any
	// Shared are applied as they are (ServiceAccounts, other Services).
	Shared []map[string]any
	// Service is the stable Service from the set, or nil.
	Service map[string]any
	// HasAutoscaler says an HPA sets the group's replicas after creation.
	HasAutoscaler bool
}

// Objects returns every object of the set in apply order.
func (s ManifestSet) Objects() []map[string]any {
	out := append([]map[string]any{}, s.Shared...)
	out = append(out, s.Versioned...)
	return append(out, s.Deployment)
}

// versionedName is name for one server group: checkout-config -> checkout-config-v003.
func versionedName(name string, sg model.ServerGroup) string {
	return name + "-" + groupSuffix(sg)
}

// groupSuffix is "v003" of server group checkout-v003.
func groupSuffix(sg model.ServerGroup) string {
	if i := strings.LastIndex(sg.Name, "-v"); i >= 0 {
		return sg.Name[i+1:]
	}
	return fmt.Sprintf("v%03d", sg.Sequence)
}

// sortSet sorts a checked set's objects into a ManifestSet for one server
// group: versioned copies renamed, labelled and aimed at the group, the
// Deployment's references to versioned ConfigMaps rewritten.
func sortSet(namespace string, sg model.ServerGroup, app model.Application, objs []map[string]any) (ManifestSet, error) {
	var set ManifestSet
	renamed := map[string]string{}        // ConfigMap name -> versioned name
	renamedSecrets := map[string]string{} // Secret name -> versioned name
	labels := groupLabels(app.Name, sg.Version, sg.Name)
	if sg.Environment != "" {
		labels[LabelEnvironment] = sg.Environment
	}
	for _, o := range objs {
		delete(o, "status")
		meta := child(o, "metadata")
		delete(meta, "creationTimestamp")
		meta["namespace"] = namespace
		kind, _ := o["kind"].(string)
		name, _ := meta["name"].(string)
		switch {
		case kind == "Deployment":
			set.Deployment = o
			continue
		case manifest.Kinds[kind].Versioned:
			meta["name"] = versionedName(name, sg)
			mergeStrings(child(meta, "labels"), labels)
			set.Versioned = append(set.Versioned, o)
		case kind == "Service" && name == stableServiceName(app):
			set.Service = o
			continue
		default:
			mergeStrings(child(meta, "labels"), map[string]string{LabelApp: app.Name, LabelManagedBy: ManagedBy})
			set.Shared = append(set.Shared, o)
			continue
		}
		switch kind {
		case "ConfigMap":
			renamed[name] = meta["name"].(string)
		case "Secret":
			renamedSecrets[name] = meta["name"].(string)
		case "HorizontalPodAutoscaler":
			spec := child(o, "spec")
			spec["scaleTargetRef"] = map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": sg.Name}
			// The strategy sizes each group (a canary may start with one
			// pod): the autoscaler may scale it up, never below that size
			// (Resize moves the floor with it, resizeAutoscaler).
			n := int64(max(sg.Instances, 1))
			spec["minReplicas"], spec["maxReplicas"] = n, max(intField(spec["maxReplicas"], n), n)
			set.HasAutoscaler = true
		case "PodDisruptionBudget":
			child(o, "spec")["selector"] = map[string]any{"matchLabels": map[string]any{LabelApp: app.Name, LabelServerGroup: sg.Name}}
		}
	}
	delete(set.Deployment, "status")
	if err := injectEnv(set.Deployment, namespace, sg, app); err != nil {
		return ManifestSet{}, err
	}
	rewriteRefs(child(child(set.Deployment, "spec"), "template"), renamed, renamedSecrets)
	return set, nil
}

// rewriteRefs points a pod template's references to the set's ConfigMaps
// and Secrets at the server group's copies: volumes (also projected),
// envFrom and env valueFrom of every container and init container.
func rewriteRefs(template map[string]any, configMaps, secrets map[string]string) {
	rename := func(m map[string]any, key string, names map[string]string) {
		if m == nil {
			return
		}
		if n, ok := m[key].(string); ok {
			if v, ok := names[n]; ok {
				m[key] = v
			}
		}
	}
	spec := child(template, "spec")
	for _, v := range list(spec["volumes"]) {
		rename(mapAt(v, "configMap"), "name", configMaps)
		rename(mapAt(v, "secret"), "secretName", secrets)
		for _, src := range list(mapAt(v, "projected")["sources"]) {
			rename(mapAt(src, "configMap"), "name", configMaps)
			rename(mapAt(src, "secret"), "name", secrets)
		}
	}
	for _, field := range []string{"containers", "initContainers"} {
		for _, c := range list(spec[field]) {
			cm, _ := c.(map[string]any)
			for _, ef := range list(cm["envFrom"]) {
				rename(mapAt(ef, "configMapRef"), "name", configMaps)
				rename(mapAt(ef, "secretRef"), "name", secrets)
			}
			for _, e := range list(cm["env"]) {
				rename(mapAt(mapAt(e, "valueFrom"), "configMapKeyRef"), "name", configMaps)
				rename(mapAt(mapAt(e, "valueFrom"), "secretKeyRef"), "name", secrets)
			}
		}
	}
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// mapAt is m[key] as a map when m is one, else nil.
func mapAt(m any, key string) map[string]any {
	mm, _ := m.(map[string]any)
	if mm == nil {
		return nil
	}
	out, _ := mm[key].(map[string]any)
	return out
}

// intField reads a YAML/JSON number, or def.
func intField(v any, def int64) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return def
}

// Manifests renders what Ensure applies for a server group (its Deployment
// and the set's objects, the stable Service included) as one canonical YAML
// stream, sorted as Helm installs: the record of a deploy, for diff and
// audit. Pure.
func (p *Provider) Manifests(sg model.ServerGroup, app model.Application) (string, error) {
	set, err := BuildManifestSet(p.ns, sg, app)
	if err != nil {
		return "", err
	}
	objs := set.Objects()
	if set.Service != nil {
		objs = append(objs, set.Service)
	}
	out := make([]render.Object, 0, len(objs))
	for _, o := range objs {
		out = append(out, render.Object{Unstructured: &unstructured.Unstructured{Object: o}})
	}
	return string(render.Manifest(out)), nil
}
