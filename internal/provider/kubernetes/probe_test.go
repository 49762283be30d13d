package kubernetes_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// endpointProbe watches a Service's EndpointSlices and remembers the fewest
// ready endpoints it ever saw, in all and per server group (by pod name
// prefix): every state the EndpointSlice controller wrote, not samples.
type endpointProbe struct {
	mu       sync.Mutex
	slices   map[string]*discoveryv1.EndpointSlice
	groups   []string
	minTotal int
	minGroup map[string]int
	events   int
	stop     context.CancelFunc
	done     chan struct{}
}

// probeEndpoints starts watching once the Service has ready endpoints of
// every group in groups.
func (b bundle) probeEndpoints(t *testing.T, service string, groups ...string) *endpointProbe {
	t.Helper()
	ctx, cancel := context.WithCancel(b.ctx)
	pr := &endpointProbe{slices: map[string]*discoveryv1.EndpointSlice{}, groups: groups, minTotal: 1 << 30, minGroup: map[string]int{}, stop: cancel, done: make(chan struct{})}
	sel := discoveryv1.LabelServiceName + "=" + service
	list, err := b.env.Clientset.DiscoveryV1().EndpointSlices(b.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		pr.slices[list.Items[i].Name] = &list.Items[i]
	}
	pr.observe()
	w, err := b.env.Clientset.DiscoveryV1().EndpointSlices(b.ns).Watch(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(pr.done)
		defer w.Stop()
		for ev := range w.ResultChan() {
			s, ok := ev.Object.(*discoveryv1.EndpointSlice)
			if !ok {
				continue
			}
			pr.mu.Lock()
			if ev.Type == watch.Deleted {
				delete(pr.slices, s.Name)
			} else {
				pr.slices[s.Name] = s
			}
			pr.mu.Unlock()
			pr.observe()
		}
	}()
	return pr
}

func (pr *endpointProbe) observe() {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.events++
	total := 0
	per := map[string]int{}
	for _, s := range pr.slices {
		for _, e := range s.Endpoints {
			if e.TargetRef == nil || e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			total++
			for _, g := range pr.groups {
				if strings.HasPrefix(e.TargetRef.Name, g+"-") {
					per[g]++
				}
			}
		}
	}
	pr.minTotal = min(pr.minTotal, total)
	for _, g := range pr.groups {
		if v, ok := pr.minGroup[g]; !ok || per[g] < v {
			pr.minGroup[g] = per[g]
		}
	}
}

// result stops the probe and returns the minima and the number of states seen.
func (pr *endpointProbe) result() (minTotal int, minGroup map[string]int, states int) {
	pr.stop()
	<-pr.done
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.minTotal, pr.minGroup, pr.events
}
