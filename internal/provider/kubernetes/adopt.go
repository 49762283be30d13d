package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gennaker/gennaker/internal/model"
)

// Adopt takes over an existing Deployment that gennaker did not create and
// returns it as server group 1 of the application (such as checkout-v001),
// enabled and taking traffic through the stable Service once Route runs.
//
// No pod restarts: only metadata changes. The Deployment gets gennaker's
// labels and annotations (its name, selector and pod template stay as they
// are: the selector is immutable and changing the template would roll every
// pod), and its running pods get the group labels and gennaker.dev/enabled=true.
// Pods the Deployment creates later get the same labels from SyncTraffic.
// The team's own Service keeps selecting the pods by their own labels, so
// traffic continues while they move to the stable Service gennaker manages.
//
// The stable Service is named after the application (spec.service.name):
// when the team has a Service of that name, Adopt leaves it alone and
// refuses, unless takeService hands it over (gennaker then sets its
// selector and keeps its ports; clients that dial it notice nothing).
//
// Adopt refuses a Deployment whose selector uses one of gennaker's label
// keys with another value: relabelling its pods would take them out of
// their ReplicaSet, which would then start replacements.
func (p *Provider) Adopt(ctx context.Context, app model.Application, deployment string, takeService bool) (model.ServerGroup, error) {
	group := model.ServerGroupName(app.Name, 1)
	var d *appsv1.Deployment
	err := p.retry(ctx, p.what("get", "Deployment", deployment), func(ctx context.Context) error {
		var err error
		d, err = p.kube.AppsV1().Deployments(p.ns).Get(ctx, deployment, metav1.GetOptions{})
		return err
	})
	if err != nil {
		return model.ServerGroup{}, err
	}
	if g := d.Labels[LabelServerGroup]; g != "" && g != group {
		return model.ServerGroup{}, fmt.Errorf("adopt %s/%s: it is server group %s already", p.ns, deployment, g)
	}
	version := imageTag(d)
	want := groupLabels(app.Name, version, group)
	if d.Spec.Selector != nil {
		for k, v := range d.Spec.Selector.MatchLabels {
			if w, ok := want[k]; ok && w != v {
				return model.ServerGroup{}, fmt.Errorf("adopt %s/%s: its selector has %s=%s but gennaker would label its pods %s=%s, which takes them out of their ReplicaSet: "+
					"adoption without a rollout is impossible; name the application %q in gennaker, or redeploy it with gennaker", p.ns, deployment, k, v, k, w, v)
			}
		}
	}
	if !takeService {
		if _, err := p.stableServiceNow(ctx, app); err != nil {
			return model.ServerGroup{}, fmt.Errorf("adopt %s/%s: %w", p.ns, deployment, err)
		}
	}
	// Only a Deployment that serves can be taken over without downtime:
	// wait for its rollout (it may have just been created or be mid-update)
	// before changing anything, and say why if it never completes.
	noop := func(context.Context, *appsv1.Deployment) error { return nil }
	if err := p.awaitRollout(ctx, deployment, startupOf(app), noop); err != nil {
		return model.ServerGroup{}, fmt.Errorf("adopt %s/%s: it is not available, so adopting it would put pods that do not serve into traffic; fix the Deployment (or wait for its rollout) and adopt again: %w", p.ns, deployment, err)
	}
	metaLabels := maps.Clone(want)
	if p.env != "" {
		metaLabels[LabelEnvironment] = p.env
	}
	patch := map[string]any{"metadata": map[string]any{
		"labels": metaLabels,
		"annotations": map[string]string{
			AnnotationEnabled: "true", AnnotationAdopted: "true",
			AnnotationStartupTimeout: startupOf(app).String(),
		},
	}}
	body, _ := json.Marshal(patch)
	err = p.retry(ctx, p.what("adopt", "Deployment", deployment), func(ctx context.Context) error {
		var err error
		d, err = p.kube.AppsV1().Deployments(p.ns).Patch(ctx, deployment, types.MergePatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
		return err
	})
	if err != nil {
		return model.ServerGroup{}, err
	}
	if err := p.syncGroupPods(ctx, d); err != nil {
		return model.ServerGroup{}, err
	}
	if takeService {
		if err := p.TakeService(ctx, app); err != nil {
			return model.ServerGroup{}, err
		}
	}
	return model.ServerGroup{
		Name: group, Application: app.Name, Environment: p.env, Sequence: 1, Version: version,
		Role: model.RoleProduction, Status: model.ServerGroupUp, Instances: int(replicasOf(d)),
		Weight: 100, LastGood: true,
	}, nil
}

// imageTag is the tag of the Deployment's first container image, or "adopted".
func imageTag(d *appsv1.Deployment) string {
	cs := d.Spec.Template.Spec.Containers
	if len(cs) == 0 {
		return "adopted"
	}
	img := cs[0].Image
	if i := strings.Index(img, "@"); i >= 0 {
		img = img[:i]
	}
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		return img[i+1:]
	}
	return "adopted"
}
