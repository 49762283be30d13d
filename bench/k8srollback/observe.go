package main

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// snapshot is what the watches had delivered at one moment: the stable
// Service's EndpointSlices against the application's pods.
type snapshot struct {
	at time.Time
	// exact is the version whose ready pods are exactly the Service's ready
	// endpoints, with no endpoint (ready or not) of any other pod; "" when
	// no version is (no ready endpoint, two versions, a pod unknown).
	exact string
	// readyEndpoints counts the distinct pods behind ready endpoints.
	readyEndpoints int
	// pods and enabled count, per version, the pods that exist and those
	// labelled gennaker.dev/enabled=true.
	pods, enabled map[string]int
	// marked lists the versions whose Deployment carries the annotation
	// gennaker.dev/enabled=true (the wanted traffic state gennaker writes
	// first when it enables a group).
	marked map[string]bool
	// selects is the version whose server group the stable Service's
	// selector names (gennaker.dev/server-group, while one group takes all
	// traffic), "enabled" when it selects gennaker.dev/enabled=true, ""
	// when there is no Service yet.
	selects string
}

// observe computes the snapshot of the Service (nil when there is none),
// Deployments, pods and slices at at. Pods are
// identified by name (an endpoint's targetRef), versions by the
// gennaker.dev/version label.
func observe(at time.Time, svc *corev1.Service, deps []*appsv1.Deployment, pods []*corev1.Pod, slices []*discoveryv1.EndpointSlice) snapshot {
	s := snapshot{at: at, pods: map[string]int{}, enabled: map[string]int{}, marked: map[string]bool{}}
	for _, d := range deps {
		if d.Annotations[kubernetes.AnnotationEnabled] == "true" {
			s.marked[d.Labels[kubernetes.LabelVersion]] = true
		}
	}
	version := map[string]string{}            // pod name -> version
	groupVersion := map[string]string{}       // server group -> version
	readyPods := map[string]map[string]bool{} // version -> ready pod names
	for _, p := range pods {
		v := p.Labels[kubernetes.LabelVersion]
		version[p.Name] = v
		groupVersion[p.Labels[kubernetes.LabelServerGroup]] = v
		s.pods[v]++
		if p.Labels[kubernetes.LabelEnabled] == "true" {
			s.enabled[v]++
		}
		if podReady(p) {
			if readyPods[v] == nil {
				readyPods[v] = map[string]bool{}
			}
			readyPods[v][p.Name] = true
		}
	}
	all, ready := map[string]bool{}, map[string]bool{}
	for _, sl := range slices {
		for _, ep := range sl.Endpoints {
			name := ""
			if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
				name = ep.TargetRef.Name
			}
			all[name] = true
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready { // nil means ready (discovery/v1)
				ready[name] = true
			}
		}
	}
	if svc != nil {
		if g, ok := svc.Spec.Selector[kubernetes.LabelServerGroup]; ok {
			s.selects = groupVersion[g]
		} else if svc.Spec.Selector[kubernetes.LabelEnabled] == "true" {
			s.selects = "enabled"
		}
	}
	s.readyEndpoints = len(ready)
	s.exact = exactVersion(all, ready, version, readyPods)
	return s
}

// exactVersion returns the one version every endpoint belongs to when the
// ready endpoints are exactly that version's ready pods, else "".
func exactVersion(all, ready map[string]bool, version map[string]string, readyPods map[string]map[string]bool) string {
	want := ""
	for name := range all {
		v, ok := version[name]
		if !ok || v == "" || (want != "" && v != want) {
			return ""
		}
		want = v
	}
	if want == "" || len(ready) != len(readyPods[want]) {
		return ""
	}
	for name := range readyPods[want] {
		if !ready[name] {
			return ""
		}
	}
	return want
}

func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// settledAt returns when the final run of snapshots after t0 in which
// version is exact began: the moment the Service's endpoints became
// exactly version's ready pods and stayed so until the last snapshot.
func settledAt(log []snapshot, t0 time.Time, version string) (time.Time, bool) {
	var at time.Time
	found := false
	for _, s := range log {
		if s.at.Before(t0) {
			continue
		}
		switch {
		case s.exact != version:
			found = false
		case !found:
			at, found = s.at, true
		}
	}
	return at, found
}

// firstAt returns the first snapshot after t0 for which cond holds.
func firstAt(log []snapshot, t0 time.Time, cond func(snapshot) bool) (time.Time, bool) {
	for _, s := range log {
		if !s.at.Before(t0) && cond(s) {
			return s.at, true
		}
	}
	return time.Time{}, false
}

// emptyMoments counts the snapshots after t0 in which the Service had no
// ready endpoint at all.
func emptyMoments(log []snapshot, t0 time.Time) int {
	n := 0
	for _, s := range log {
		if !s.at.Before(t0) && s.readyEndpoints == 0 {
			n++
		}
	}
	return n
}
