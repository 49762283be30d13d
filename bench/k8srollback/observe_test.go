package main

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

func pod(name, version string, ready bool) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			kubernetes.LabelVersion: version, kubernetes.LabelServerGroup: "shop-" + version, kubernetes.LabelEnabled: "true"}},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

// slice lists pods as endpoints; a name ending in "!" is listed not ready.
func slice(names ...string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{}
	for _, n := range names {
		ready := true
		if n[len(n)-1] == '!' {
			n, ready = n[:len(n)-1], false
		}
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: n},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		})
	}
	return s
}

func TestObserveExact(t *testing.T) {
	pods := []*corev1.Pod{pod("a1", "v1", true), pod("a2", "v1", true), pod("a3", "v1", false), pod("b1", "v2", true)}
	for _, tc := range []struct {
		name   string
		slices []*discoveryv1.EndpointSlice
		want   string
	}{
		{"the ready pods of v1", []*discoveryv1.EndpointSlice{slice("a1", "a2")}, "v1"},
		{"across two slices, one listed twice", []*discoveryv1.EndpointSlice{slice("a1"), slice("a2", "a1")}, "v1"},
		{"v1's unready pod listed not ready", []*discoveryv1.EndpointSlice{slice("a1", "a2", "a3!")}, "v1"},
		{"a ready pod of v1 missing", []*discoveryv1.EndpointSlice{slice("a1")}, ""},
		{"a ready pod of v1 listed not ready", []*discoveryv1.EndpointSlice{slice("a1", "a2!")}, ""},
		{"a pod of v2 too", []*discoveryv1.EndpointSlice{slice("a1", "a2", "b1")}, ""},
		{"a pod of v2 too, not ready", []*discoveryv1.EndpointSlice{slice("a1", "a2", "b1!")}, ""},
		{"a pod that is gone", []*discoveryv1.EndpointSlice{slice("a1", "a2", "gone")}, ""},
		{"only v2", []*discoveryv1.EndpointSlice{slice("b1")}, "v2"},
		{"no endpoint", []*discoveryv1.EndpointSlice{slice()}, ""},
		{"no slice", nil, ""},
	} {
		if got := observe(time.Time{}, nil, nil, pods, tc.slices).exact; got != tc.want {
			t.Errorf("%s: exact on %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSettledAt(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	log := []snapshot{
		{at: at(-5), exact: "v1"}, // before the request: ignored
		{at: at(10), exact: "v2"},
		{at: at(20), exact: "v1"}, // flaps back
		{at: at(30), exact: ""},
		{at: at(40), exact: "v1"}, // settles here
		{at: at(50), exact: "v1"},
	}
	if got, ok := settledAt(log, t0, "v1"); !ok || !got.Equal(at(40)) {
		t.Errorf("settledAt = %v, %v; want +40ms", got.Sub(t0), ok)
	}
	if _, ok := settledAt(log, t0, "v2"); ok {
		t.Error("v2 does not hold at the end, yet settledAt found it")
	}
}
