package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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
// weight above zero are enabled, all other groups of the application are
// disabled but keep running. The stable Service never goes empty and never
// selects a pod nobody enabled:
//
//  1. the pods of every group with a weight are labelled enabled;
//  2. the stable Service's selector is set (see StableSelector): while one
//     gennaker-created group takes all traffic it selects that group by the
//     server-group label its pod template carries, so restarts, evictions
//     and drains of that group need no relabelling; while several groups
//     share traffic it selects the enabled label (in gateway mode the
//     Service follows StableGroup alone: the HTTPRoute splits);
//  3. the pods of the other groups are labelled disabled.
//
// In replicas mode a group's share is its share of the ready pods of the
// enabled groups (the strategy sizes groups to the weights); the effective
// split is logged. In gateway mode the HTTPRoute carries the exact weights.
func (p *Provider) Route(ctx context.Context, app model.Application, routes []Route) error {
	if err := checkRoutes(app.Name, routes); err != nil {
		return err
	}
	if err := p.Preflight(ctx); err != nil {
		return err
	}
	current, err := p.stableServiceNow(ctx, app)
	if err != nil {
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
	if err := p.removeStaleRoutes(ctx, app); err != nil {
		return err
	}
	groups := slices.Sorted(maps.Keys(byGroup))
	selector := StableSelector(app.Name, p.stableRoutes(routes), byGroup)
	svc, err := stableServiceOf(p.ns, app, selector, isHandedOver(current))
	if err != nil {
		return err
	}
	// A selector by server group needs no pod labels: switch at once (a
	// rollback moves traffic in one write, whatever the group's size) and
	// label the pods after. A selector by the enabled label needs the pods
	// of the enabled groups labelled first.
	byGroupLabel := selector[LabelServerGroup] != ""
	if byGroupLabel {
		if err := p.applyService(ctx, svc); err != nil {
			return err
		}
	}
	for _, g := range groups {
		if weights[g] > 0 {
			if err := p.setEnabled(ctx, byGroup[g], true); err != nil {
				return err
			}
		}
	}
	if !byGroupLabel {
		if err := p.applyService(ctx, svc); err != nil {
			return err
		}
	}
	for _, g := range groups {
		if weights[g] == 0 {
			if err := p.setEnabled(ctx, byGroup[g], false); err != nil {
				return err
			}
		}
	}
	if p.traffic != model.TrafficGateway {
		ready := map[string]int{}
		for g, d := range byGroup {
			ready[g] = int(d.Status.ReadyReplicas)
		}
		// The effective split (strategy.EffectiveWeights) is in status.
		p.log.Info("traffic split by replica counts", "application", app.Name,
			"wanted", fmt.Sprint(weights), "ready pods", fmt.Sprint(ready))
	}
	return nil
}

// StableSelector is the stable Service's selector for a split. While one
// group takes all traffic and its pod template carries its server-group
// label (every group gennaker created does; an adopted Deployment's template
// is the team's), the Service selects that group by it: a pod the group
// creates later (scale-up, restart, eviction) is in traffic as soon as it is
// Ready, without gennaker. Otherwise it selects the pods labelled enabled.
func StableSelector(app string, routes []Route, byGroup map[string]*appsv1.Deployment) map[string]string {
	var only []string
	for _, r := range routes {
		if r.Weight > 0 {
			only = append(only, r.ServerGroup)
		}
	}
	if len(only) == 1 {
		if d := byGroup[only[0]]; d != nil {
			tl := d.Spec.Template.Labels
			if tl[LabelServerGroup] == only[0] && tl[LabelApp] == app {
				return map[string]string{LabelApp: app, LabelServerGroup: only[0]}
			}
		}
	}
	return map[string]string{LabelApp: app, LabelEnabled: "true"}
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

// stableServiceName is the name of the application's stable Service, the
// one in-cluster clients dial.
func stableServiceName(app model.Application) string { return app.StableServiceName() }

// stableService is the application's stable Service with a selector.
// A Service the team created and handed over (gennaker adopt
// --take-service) keeps its own ports unless spec.service lists some.
func stableService(ns string, app model.Application, selector map[string]string, handedOver bool) *corev1ac.ServiceApplyConfiguration {
	spec := corev1ac.ServiceSpec().WithSelector(selector)
	if !handedOver || app.Service != nil && len(app.Service.Ports) > 0 {
		spec.WithPorts(servicePorts(app)...)
	}
	return corev1ac.Service(stableServiceName(app), ns).
		WithLabels(map[string]string{LabelApp: app.Name, LabelManagedBy: ManagedBy}).
		WithSpec(spec)
}

// groupService selects the pods of one server group (gateway mode backends).
func groupService(ns string, app model.Application, group string) *corev1ac.ServiceApplyConfiguration {
	return corev1ac.Service(group, ns).
		WithLabels(map[string]string{LabelApp: app.Name, LabelManagedBy: ManagedBy, LabelServerGroup: group}).
		WithSpec(corev1ac.ServiceSpec().
			WithSelector(map[string]string{LabelApp: app.Name, LabelServerGroup: group}).
			WithPorts(servicePorts(app)...))
}

// servicePorts are spec.service.ports, else the ports of the manifest
// set's stable Service, else port 80 named http to spec.port.
func servicePorts(app model.Application) []*corev1ac.ServicePortApplyConfiguration {
	if app.Service == nil || len(app.Service.Ports) == 0 {
		if ports := setServicePorts(app); len(ports) > 0 {
			return ports
		}
		return []*corev1ac.ServicePortApplyConfiguration{corev1ac.ServicePort().WithName("http").WithPort(80).
			WithTargetPort(intstr.FromInt32(appPort(app))).WithProtocol(corev1.ProtocolTCP)}
	}
	var out []*corev1ac.ServicePortApplyConfiguration
	for _, sp := range app.Service.Ports {
		target := intstr.FromInt32(int32(sp.Port))
		switch {
		case sp.TargetPort.Name != "":
			target = intstr.FromString(sp.TargetPort.Name)
		case sp.TargetPort.Number > 0:
			target = intstr.FromInt32(int32(sp.TargetPort.Number))
		}
		proto := corev1.Protocol(sp.Protocol)
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		port := corev1ac.ServicePort().WithPort(int32(sp.Port)).WithTargetPort(target).WithProtocol(proto)
		if sp.Name != "" {
			port.WithName(sp.Name)
		}
		if sp.AppProtocol != "" {
			port.WithAppProtocol(sp.AppProtocol)
		}
		out = append(out, port)
	}
	return out
}

// backendPort is the Service port HTTPRoute backends use: the first one.
func backendPort(app model.Application) int32 {
	if p := servicePorts(app)[0].Port; p != nil {
		return *p
	}
	return 80
}

func (p *Provider) applyService(ctx context.Context, svc *corev1ac.ServiceApplyConfiguration) error {
	return p.retry(ctx, p.what("apply", "Service", *svc.Name), func(ctx context.Context) error {
		_, err := p.kube.CoreV1().Services(p.ns).Apply(ctx, svc, metav1.ApplyOptions{FieldManager: ManagedBy, Force: true})
		return err
	})
}

// appDeployments lists the server group Deployments of an application. It
// refuses when some belong to another environment: two environments in one
// namespace would take each other's traffic.
func (p *Provider) appDeployments(ctx context.Context, app string) ([]appsv1.Deployment, error) {
	sel := labels.Set{LabelApp: app, LabelManagedBy: ManagedBy}.String()
	deps, err := p.listDeployments(ctx, sel)
	if err != nil {
		return nil, err
	}
	if err := checkOneEnvironment(p.env, p.ns, deps); err != nil {
		return nil, err
	}
	return deps, nil
}

// ErrSharedNamespace: two gennaker environments point at one namespace.
var ErrSharedNamespace = errors.New("two environments share a namespace")

// checkOneEnvironment fails when a Deployment is labelled with another
// environment than env (Deployments from before the label count as env's).
func checkOneEnvironment(env, ns string, deps []appsv1.Deployment) error {
	for _, d := range deps {
		if other := d.Labels[LabelEnvironment]; env != "" && other != "" && other != env {
			return fmt.Errorf("environment %s: %w: namespace %s holds server group %s of environment %s; "+
				"each environment needs its own namespace (or cluster): change target.namespace of one of them", env, ErrSharedNamespace, ns, d.Name, other)
		}
	}
	return nil
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
	return p.labelPods(ctx, pods, PodLabels(d))
}

// relabelers bounds the label PATCHes in flight for one group: a large
// group's pods are relabelled in parallel, within the client's rate limit.
const relabelers = 8

// labelPods sets want on every live pod, relabelers at a time.
func (p *Provider) labelPods(ctx context.Context, pods []corev1.Pod, want map[string]string) error {
	sem := make(chan struct{}, relabelers)
	errs := make(chan error, len(pods))
	var wg sync.WaitGroup
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil || labelPatch(pod.Labels, want) == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs <- p.patchPodLabels(ctx, pod, want, true)
		}()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
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
