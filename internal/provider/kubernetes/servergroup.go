package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gennaker/gennaker/internal/model"
)

func applyOptions() metav1.PatchOptions {
	force := true
	return metav1.PatchOptions{FieldManager: ManagedBy, Force: &force}
}

// Ensure applies the server group's manifest set (server-side apply, field
// manager gennaker): shared objects, the group's ConfigMaps, its
// Deployment, then its versioned objects owned by the Deployment. Applying
// it again with the same inputs changes nothing. With an autoscaler in the
// set, an existing Deployment's replicas are the autoscaler's.
func (p *Provider) Ensure(ctx context.Context, sg model.ServerGroup, app model.Application) error {
	if err := p.Preflight(ctx); err != nil {
		return err
	}
	set, err := BuildManifestSet(p.ns, sg, app)
	if err != nil {
		return err
	}
	var have *appsv1.Deployment
	err = p.retry(ctx, p.what("get", "Deployment", sg.Name), func(ctx context.Context) error {
		var err error
		have, err = p.kube.AppsV1().Deployments(p.ns).Get(ctx, sg.Name, metav1.GetOptions{})
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return err
	default:
		if err := checkOneEnvironment(sg.Environment, p.ns, []appsv1.Deployment{*have}); err != nil {
			return err
		}
		if !isServerGroup(have) {
			return fmt.Errorf("server group %s: Deployment %s/%s exists and gennaker did not create it: delete or rename it, or adopt it (gennaker adopt)", sg.Name, p.ns, sg.Name)
		}
	}
	for _, o := range set.Shared {
		if err := p.applyObject(ctx, o, nil); err != nil {
			return err
		}
	}
	for _, o := range set.Versioned { // before the pods that mount them
		if o["kind"] == "ConfigMap" || o["kind"] == "Secret" {
			if err := p.applyObject(ctx, o, nil); err != nil {
				return err
			}
		}
	}
	if set.HasAutoscaler && have != nil {
		delete(child(set.Deployment, "spec"), "replicas")
	}
	body, err := json.Marshal(set.Deployment)
	if err != nil {
		return err
	}
	var applied *appsv1.Deployment
	err = p.retry(ctx, p.what("apply", "Deployment", sg.Name), func(ctx context.Context) error {
		var err error
		applied, err = p.kube.AppsV1().Deployments(p.ns).Patch(ctx, sg.Name, types.ApplyPatchType, body, applyOptions())
		return err
	})
	if err != nil || len(set.Versioned) == 0 {
		return err
	}
	owner := &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: applied.Name, UID: applied.UID}
	for _, o := range set.Versioned {
		if err := p.applyObject(ctx, o, owner); err != nil {
			return err
		}
	}
	return nil
}

func (p *Provider) what(verb, kind, name string) string {
	return fmt.Sprintf("kubernetes: %s %s %s/%s", verb, kind, p.ns, name)
}

// deployment finds a server group's Deployment: by name, or (for adopted
// Deployments, which keep their own name) by the server-group label.
func (p *Provider) deployment(ctx context.Context, group string) (*appsv1.Deployment, error) {
	var d *appsv1.Deployment
	err := p.retry(ctx, p.what("get", "Deployment", group), func(ctx context.Context) error {
		var err error
		d, err = p.kube.AppsV1().Deployments(p.ns).Get(ctx, group, metav1.GetOptions{})
		return err
	})
	if err == nil {
		return d, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	var list *appsv1.DeploymentList
	sel := labels.Set{LabelServerGroup: group}.String()
	err = p.retry(ctx, p.what("list", "Deployments", sel), func(ctx context.Context) error {
		var err error
		list, err = p.kube.AppsV1().Deployments(p.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		return nil, fmt.Errorf("server group %s: %w: no Deployment %s/%s (nor one labelled %s)", group, ErrNotFound, p.ns, group, sel)
	}
	return &list.Items[0], nil
}

// Resize sets the server group's replicas.
func (p *Provider) Resize(ctx context.Context, group string, replicas int) error {
	d, err := p.deployment(ctx, group)
	if err != nil {
		return err
	}
	if err := p.resizeAutoscaler(ctx, group, replicas); err != nil {
		return err
	}
	body := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas)
	return p.retry(ctx, p.what("resize", "Deployment", d.Name), func(ctx context.Context) error {
		_, err := p.kube.AppsV1().Deployments(p.ns).Patch(ctx, d.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
		return err
	})
}

// resizeAutoscaler keeps a server group's autoscaler from undoing a
// resize: its minReplicas becomes the size the strategy wants (at least 1,
// its floor), and maxReplicas at least that. The autoscaler may still
// scale the group up under load; it never scales it below what the
// strategy needs.
func (p *Provider) resizeAutoscaler(ctx context.Context, group string, replicas int) error {
	opts := metav1.ListOptions{LabelSelector: LabelServerGroup + "=" + group + "," + LabelManagedBy + "=" + ManagedBy}
	var names []string
	var maxes []int32
	err := p.retry(ctx, p.what("list", "HorizontalPodAutoscalers", opts.LabelSelector), func(ctx context.Context) error {
		l, err := p.kube.AutoscalingV2().HorizontalPodAutoscalers(p.ns).List(ctx, opts)
		if err != nil {
			return err
		}
		names, maxes = nil, nil
		for _, h := range l.Items {
			names, maxes = append(names, h.Name), append(maxes, h.Spec.MaxReplicas)
		}
		return nil
	})
	if err != nil {
		return err
	}
	floor := int32(max(replicas, 1))
	for i, n := range names {
		body := fmt.Appendf(nil, `{"spec":{"minReplicas":%d,"maxReplicas":%d}}`, floor, max(maxes[i], floor))
		err := p.retry(ctx, p.what("resize", "HorizontalPodAutoscaler", n), func(ctx context.Context) error {
			_, err := p.kube.AutoscalingV2().HorizontalPodAutoscalers(p.ns).Patch(ctx, n, types.MergePatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Destroy deletes the server group's Deployment (its pods go with it) and
// its Service. Destroying what is gone already succeeds.
func (p *Provider) Destroy(ctx context.Context, group string) error {
	d, err := p.deployment(ctx, group)
	switch {
	case err == nil:
		bg := metav1.DeletePropagationBackground
		err = p.retry(ctx, p.what("delete", "Deployment", d.Name), func(ctx context.Context) error {
			err := p.kube.AppsV1().Deployments(p.ns).Delete(ctx, d.Name, metav1.DeleteOptions{PropagationPolicy: &bg})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		})
		if err != nil {
			return err
		}
	case !isNotFound(err):
		return err
	}
	if err := p.deleteVersioned(ctx, group); err != nil {
		return err
	}
	return p.retry(ctx, p.what("delete", "Service", group), func(ctx context.Context) error {
		err := p.kube.CoreV1().Services(p.ns).Delete(ctx, group, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}

// Health reports available and desired replicas.
func (p *Provider) Health(ctx context.Context, group string) (available, desired int, err error) {
	d, err := p.deployment(ctx, group)
	if err != nil {
		return 0, 0, err
	}
	return int(d.Status.AvailableReplicas), int(replicasOf(d)), nil
}

func replicasOf(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}
