package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes/manifest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// applyObject server-side applies one object of a manifest set (field
// manager gennaker), with owner when given: the server group's Deployment,
// whose deletion then collects it.
func (p *Provider) applyObject(ctx context.Context, obj map[string]any, owner *metav1.OwnerReference) error {
	kind, _ := obj["kind"].(string)
	name, _ := child(obj, "metadata")["name"].(string)
	if owner != nil {
		child(obj, "metadata")["ownerReferences"] = []any{map[string]any{
			"apiVersion": owner.APIVersion, "kind": owner.Kind, "name": owner.Name, "uid": string(owner.UID),
		}}
	}
	if kind == "Secret" {
		resolved, err := p.resolveSecret(ctx, obj)
		if err != nil {
			return err
		}
		obj = resolved
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	opts := applyOptions()
	return p.retry(ctx, p.what("apply", kind, name), func(ctx context.Context) error {
		var err error
		switch kind {
		case "ConfigMap":
			_, err = p.kube.CoreV1().ConfigMaps(p.ns).Patch(ctx, name, types.ApplyPatchType, body, opts)
		case "Service":
			_, err = p.kube.CoreV1().Services(p.ns).Patch(ctx, name, types.ApplyPatchType, body, opts)
		case "Secret":
			_, err = p.kube.CoreV1().Secrets(p.ns).Patch(ctx, name, types.ApplyPatchType, body, opts)
		case "ServiceAccount":
			_, err = p.kube.CoreV1().ServiceAccounts(p.ns).Patch(ctx, name, types.ApplyPatchType, body, opts)
		case "HorizontalPodAutoscaler":
			_, err = p.kube.AutoscalingV2().HorizontalPodAutoscalers(p.ns).Patch(ctx, name, types.ApplyPatchType, body, opts)
		case "PodDisruptionBudget":
			_, err = p.kube.PolicyV1().PodDisruptionBudgets(p.ns).Patch(ctx, name, types.ApplyPatchType, body, opts)
		default:
			return fmt.Errorf("kubernetes: gennaker does not apply %s objects", kind)
		}
		return err
	})
}

// deleteVersioned deletes the objects a server group's manifest set made
// for it (ConfigMaps, HPAs, PDBs), found by its server-group label. Their
// owner reference would collect them with the Deployment too; this also
// covers a copy applied before its owner existed (a crash in between).
func (p *Provider) deleteVersioned(ctx context.Context, group string) error {
	sel := metav1.ListOptions{LabelSelector: LabelServerGroup + "=" + group + "," + LabelManagedBy + "=" + ManagedBy}
	del := metav1.DeleteOptions{}
	for kind, call := range map[string]func(context.Context) error{
		"ConfigMaps": func(ctx context.Context) error {
			return p.kube.CoreV1().ConfigMaps(p.ns).DeleteCollection(ctx, del, sel)
		},
		"HorizontalPodAutoscalers": func(ctx context.Context) error {
			return p.kube.AutoscalingV2().HorizontalPodAutoscalers(p.ns).DeleteCollection(ctx, del, sel)
		},
		"PodDisruptionBudgets": func(ctx context.Context) error {
			return p.kube.PolicyV1().PodDisruptionBudgets(p.ns).DeleteCollection(ctx, del, sel)
		},
	} {
		if err := p.retry(ctx, p.what("delete", kind, sel.LabelSelector), call); err != nil {
			return err
		}
	}
	return nil
}

// resolveSecret returns a copy of a manifest set's Secret with each
// stringData reference replaced by the value the gennaker server reads
// (manifest.SecretRef). Errors name the reference, never the value.
func (p *Provider) resolveSecret(ctx context.Context, obj map[string]any) (map[string]any, error) {
	out := maps.Clone(obj)
	sd, _ := obj["stringData"].(map[string]any)
	resolved := make(map[string]any, len(sd))
	name, _ := child(obj, "metadata")["name"].(string)
	for k, v := range sd {
		ref, _ := v.(string)
		m := manifest.SecretRef.FindStringSubmatch(ref)
		if m == nil {
			return nil, fmt.Errorf("Secret %s: stringData.%s is not a secret reference", name, k)
		}
		var r model.SecretRef
		if m[1] == "env" {
			r.Env = m[2]
		} else {
			r.File = m[2]
		}
		val, err := p.secrets.Resolve(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("Secret %s: stringData.%s: %w", name, k, err)
		}
		resolved[k] = val
	}
	out["stringData"] = resolved
	return out, nil
}
