package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/gennaker/gennaker/internal/model"
)

// Route sends Weight percent of an application's traffic to a server group.
type Route struct {
	ServerGroup string
	Weight      int
	// Canary marks the group header-routed canary requests go to (gateway mode).
	Canary bool
}

// Route sets the whole traffic split of an application. Groups with a
// weight above zero are enabled (their pods join the stable Service), all
// other groups of the application are disabled but keep running. New groups
// are enabled before old ones are disabled, so the Service never goes empty.
//
// In replicas mode the weights are approximated by replica counts: each
// enabled group gets its share of the ready pods, whatever its weight (the
// strategy sizes groups to match); the effective split is logged. In gateway
// mode the HTTPRoute carries the exact weights.
func (p *Provider) Route(ctx context.Context, app model.Application, routes []Route) error {
	if err := checkRoutes(app.Name, routes); err != nil {
		return err
	}
	if err := p.Preflight(ctx); err != nil {
		return err
	}
	if err := p.applyService(ctx, stableService(p.ns, app)); err != nil {
		return err
	}
	deps, err := p.appDeployments(ctx, app.Name)
	if err != nil {
		return err
	}
	byGroup := map[string]*appsv1.Deployment{}
	for i := range deps {
		byGroup[deps[i].Labels[LabelServerGroup]] = &deps[i]
	}
	weights := map[string]int{}
	for _, r := range routes {
		weights[r.ServerGroup] = r.Weight
		if r.Weight > 0 && byGroup[r.ServerGroup] == nil {
			return fmt.Errorf("route %d%% to server group %s: %w: it has no Deployment in %s; deploy it first", r.Weight, r.ServerGroup, ErrNotFound, p.ns)
		}
	}
	if p.traffic == model.TrafficGateway {
		if err := p.routeGateway(ctx, app, routes); err != nil {
			return err
		}
	}
	// Enable first, then disable.
	for _, enable := range []bool{true, false} {
		for _, g := range slices.Sorted(maps.Keys(byGroup)) {
			if (weights[g] > 0) != enable {
				continue
			}
			if err := p.setEnabled(ctx, byGroup[g], enable); err != nil {
				return err
			}
		}
	}
	if p.traffic != model.TrafficGateway {
		ready := map[string]int{}
		for g, d := range byGroup {
			ready[g] = int(d.Status.ReadyReplicas)
		}
		p.log.Info("traffic split by replica counts", "application", app.Name,
			"wanted", fmt.Sprint(weights), "effective", fmt.Sprint(EffectiveSplit(routes, ready)))
	}
	return nil
}

// checkRoutes rejects splits that do not add up (to 100, or to 0 for no
// traffic at all), like the local front door does.
func checkRoutes(app string, routes []Route) error {
	total := 0
	canaries := 0
	seen := map[string]bool{}
	for _, r := range routes {
		if r.Weight < 0 || r.Weight > 100 {
			return fmt.Errorf("route for %s: weight %d of %s is not a percentage", app, r.Weight, r.ServerGroup)
		}
		if seen[r.ServerGroup] {
			return fmt.Errorf("route for %s: server group %s is routed twice: give each one route", app, r.ServerGroup)
		}
		seen[r.ServerGroup] = true
		total += r.Weight
		if r.Canary {
			canaries++
		}
	}
	if total != 100 && total != 0 { // 0: no group takes traffic
		return fmt.Errorf("route for %s: weights add up to %d: make them add up to 100", app, total)
	}
	if canaries > 1 {
		return fmt.Errorf("route for %s: %d canary routes: mark at most one", app, canaries)
	}
	return nil
}

// EffectiveSplit is the percentage of traffic each group gets when a
// Service spreads requests evenly over the ready pods of the enabled groups
// (those with a weight above zero).
func EffectiveSplit(routes []Route, ready map[string]int) map[string]int {
	total := 0
	for _, r := range routes {
		if r.Weight > 0 {
			total += ready[r.ServerGroup]
		}
	}
	out := map[string]int{}
	for _, r := range routes {
		if r.Weight > 0 && total > 0 {
			out[r.ServerGroup] = ready[r.ServerGroup] * 100 / total
		} else {
			out[r.ServerGroup] = 0
		}
	}
	return out
}

// stableServiceName is the name of the application's stable Service, the
// one in-cluster clients dial.
func stableServiceName(app model.Application) string { return app.Name }

// stableService selects the enabled pods of every server group of an application.
func stableService(ns string, app model.Application) *corev1ac.ServiceApplyConfiguration {
	return corev1ac.Service(stableServiceName(app), ns).
		WithLabels(map[string]string{LabelApp: app.Name, LabelManagedBy: ManagedBy}).
		WithSpec(corev1ac.ServiceSpec().
			WithSelector(map[string]string{LabelApp: app.Name, LabelEnabled: "true"}).
			WithPorts(corev1ac.ServicePort().WithName("http").WithPort(80).
				WithTargetPort(intstr.FromInt32(appPort(app))).WithProtocol(corev1.ProtocolTCP)))
}

// groupService selects the pods of one server group (gateway mode backends).
func groupService(ns string, app model.Application, group string) *corev1ac.ServiceApplyConfiguration {
	return corev1ac.Service(group, ns).
		WithLabels(map[string]string{LabelApp: app.Name, LabelManagedBy: ManagedBy, LabelServerGroup: group}).
		WithSpec(corev1ac.ServiceSpec().
			WithSelector(map[string]string{LabelApp: app.Name, LabelServerGroup: group}).
			WithPorts(corev1ac.ServicePort().WithName("http").WithPort(80).
				WithTargetPort(intstr.FromInt32(appPort(app))).WithProtocol(corev1.ProtocolTCP)))
}

func (p *Provider) applyService(ctx context.Context, svc *corev1ac.ServiceApplyConfiguration) error {
	return p.retry(ctx, p.what("apply", "Service", *svc.Name), func(ctx context.Context) error {
		_, err := p.kube.CoreV1().Services(p.ns).Apply(ctx, svc, metav1.ApplyOptions{FieldManager: ManagedBy, Force: true})
		return err
	})
}

// appDeployments lists the server group Deployments of an application.
func (p *Provider) appDeployments(ctx context.Context, app string) ([]appsv1.Deployment, error) {
	sel := labels.Set{LabelApp: app, LabelManagedBy: ManagedBy}.String()
	return p.listDeployments(ctx, sel)
}

func (p *Provider) listDeployments(ctx context.Context, sel string) ([]appsv1.Deployment, error) {
	var list *appsv1.DeploymentList
	err := p.retry(ctx, p.what("list", "Deployments", sel), func(ctx context.Context) error {
		var err error
		list, err = p.kube.AppsV1().Deployments(p.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []appsv1.Deployment
	for _, d := range list.Items {
		if d.Labels[LabelServerGroup] != "" {
			out = append(out, d)
		}
	}
	return out, nil
}

// setEnabled records on the Deployment whether its group takes traffic and
// relabels its pods to match.
func (p *Provider) setEnabled(ctx context.Context, d *appsv1.Deployment, enabled bool) error {
	want := strconv.FormatBool(enabled)
	if d.Annotations[AnnotationEnabled] != want {
		body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{AnnotationEnabled: want}}})
		err := p.retry(ctx, p.what("annotate", "Deployment", d.Name), func(ctx context.Context) error {
			updated, err := p.kube.AppsV1().Deployments(p.ns).Patch(ctx, d.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
			if err == nil {
				*d = *updated
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return p.syncGroupPods(ctx, d)
}

// SyncTraffic brings the pods of every server group in the namespace in
// line with their Deployment: group labels, and the traffic switch the
// Deployment records. Pods created after a Route (scale-up, rescheduling)
// join or stay out of traffic here; the server runs it periodically.
func (p *Provider) SyncTraffic(ctx context.Context) error {
	deps, err := p.listDeployments(ctx, labels.Set{LabelManagedBy: ManagedBy}.String())
	if err != nil {
		return err
	}
	for i := range deps {
		if err := p.syncGroupPods(ctx, &deps[i]); err != nil {
			return err
		}
	}
	return nil
}

// syncGroupPods labels the pods of one Deployment.
func (p *Provider) syncGroupPods(ctx context.Context, d *appsv1.Deployment) error {
	pods, err := p.groupPods(ctx, d)
	if err != nil {
		return err
	}
	want := PodLabels(d)
	for _, pod := range pods {
		patch := labelPatch(pod.Labels, want)
		if patch == nil {
			continue
		}
		body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": patch}})
		err := p.retry(ctx, p.what("label", "Pod", pod.Name), func(ctx context.Context) error {
			_, err := p.kube.CoreV1().Pods(p.ns).Patch(ctx, pod.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
			if apierrors.IsNotFound(err) {
				return nil // gone meanwhile
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// PodLabels are the labels gennaker keeps on the pods of a server group
// Deployment: its group labels and the traffic switch. Labels the
// Deployment's selector uses are left alone, so a pod never leaves its
// ReplicaSet (that matters for adopted Deployments).
func PodLabels(d *appsv1.Deployment) map[string]string {
	want := map[string]string{LabelEnabled: strconv.FormatBool(d.Annotations[AnnotationEnabled] == "true")}
	for _, k := range []string{LabelApp, LabelManagedBy, LabelVersion, LabelServerGroup} {
		if v := d.Labels[k]; v != "" {
			want[k] = v
		}
	}
	if d.Spec.Selector != nil {
		for k := range d.Spec.Selector.MatchLabels {
			delete(want, k)
		}
		for _, e := range d.Spec.Selector.MatchExpressions {
			delete(want, e.Key)
		}
	}
	return want
}

// labelPatch returns the labels to change so have matches want, or nil.
func labelPatch(have, want map[string]string) map[string]string {
	var patch map[string]string
	for k, v := range want {
		if have[k] != v {
			if patch == nil {
				patch = map[string]string{}
			}
			patch[k] = v
		}
	}
	return patch
}
