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

// Ensure applies the server group's Deployment (server-side apply, field
// manager gennaker). Applying it again with the same inputs changes nothing.
func (p *Provider) Ensure(ctx context.Context, sg model.ServerGroup, app model.Application) error {
	if err := p.Preflight(ctx); err != nil {
		return err
	}
	obj, err := BuildDeployment(p.ns, sg, app)
	if err != nil {
		return err
	}
	body, err := json.Marshal(obj)
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
	return p.retry(ctx, p.what("apply", "Deployment", sg.Name), func(ctx context.Context) error {
		_, err := p.kube.AppsV1().Deployments(p.ns).Patch(ctx, sg.Name, types.ApplyPatchType, body, applyOptions())
		return err
	})
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
	body := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas)
	return p.retry(ctx, p.what("resize", "Deployment", d.Name), func(ctx context.Context) error {
		_, err := p.kube.AppsV1().Deployments(p.ns).Patch(ctx, d.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
		return err
	})
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
