package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	opts := metav1.ListOptions{LabelSelector: LabelServerGroup + "=" + group + "," + LabelManagedBy + "=" + ManagedBy}
	type lister struct {
		kind string
		list func(context.Context) ([]string, error)
		del  func(context.Context, string) error
	}
	del := metav1.DeleteOptions{}
	kinds := []lister{
		{"ConfigMaps", func(ctx context.Context) ([]string, error) {
			l, err := p.kube.CoreV1().ConfigMaps(p.ns).List(ctx, opts)
			if err != nil {
				return nil, err
			}
			var out []string
			for _, o := range l.Items {
				out = append(out, o.Name)
			}
			return out, nil
		}, func(ctx context.Context, n string) error { return p.kube.CoreV1().ConfigMaps(p.ns).Delete(ctx, n, del) }},
		{"HorizontalPodAutoscalers", func(ctx context.Context) ([]string, error) {
			l, err := p.kube.AutoscalingV2().HorizontalPodAutoscalers(p.ns).List(ctx, opts)
			if err != nil {
				return nil, err
			}
			var out []string
			for _, o := range l.Items {
				out = append(out, o.Name)
			}
			return out, nil
		}, func(ctx context.Context, n string) error {
			return p.kube.AutoscalingV2().HorizontalPodAutoscalers(p.ns).Delete(ctx, n, del)
		}},
		{"PodDisruptionBudgets", func(ctx context.Context) ([]string, error) {
			l, err := p.kube.PolicyV1().PodDisruptionBudgets(p.ns).List(ctx, opts)
			if err != nil {
				return nil, err
			}
			var out []string
			for _, o := range l.Items {
				out = append(out, o.Name)
			}
			return out, nil
		}, func(ctx context.Context, n string) error {
			return p.kube.PolicyV1().PodDisruptionBudgets(p.ns).Delete(ctx, n, del)
		}},
	}
	for _, k := range kinds {
		var names []string
		err := p.retry(ctx, p.what("list", k.kind, opts.LabelSelector), func(ctx context.Context) error {
			var err error
			names, err = k.list(ctx)
			return err
		})
		if err != nil {
			return err
		}
		for _, n := range names {
			err := p.retry(ctx, p.what("delete", k.kind, n), func(ctx context.Context) error {
				if err := k.del(ctx, n); err != nil && !apierrors.IsNotFound(err) {
					return err
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
