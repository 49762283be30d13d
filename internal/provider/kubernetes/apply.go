package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"

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
