package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// recorder keeps a snapshot for every pod and EndpointSlice event the
// watches deliver, stamped when the event handler runs in this process.
type recorder struct {
	services, deps, pods, slices cache.Store
	ns, svc                      string
	appSel, sliceSel             labels.Selector

	mu  sync.Mutex
	log []snapshot
}

// watch starts informers (list, then watch) on the Deployments and pods of
// app, its stable Service svc and that Service's EndpointSlices in ns, as the benchmark's
// own admin client, and waits until they have synced.
func watch(ctx context.Context, cs k8s.Interface, ns, app, svc string) (*recorder, error) {
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns))
	podInf := f.Core().V1().Pods().Informer()
	sliceInf := f.Discovery().V1().EndpointSlices().Informer()
	svcInf := f.Core().V1().Services().Informer()
	depInf := f.Apps().V1().Deployments().Informer()
	r := &recorder{
		deps:     depInf.GetStore(),
		services: svcInf.GetStore(),
		ns:       ns,
		svc:      svc,
		pods:     podInf.GetStore(),
		slices:   sliceInf.GetStore(),
		appSel:   labels.SelectorFromSet(labels.Set{kubernetes.LabelApp: app}),
		sliceSel: labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc}),
	}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { r.record() },
		UpdateFunc: func(any, any) { r.record() },
		DeleteFunc: func(any) { r.record() },
	}
	for _, inf := range []cache.SharedIndexInformer{podInf, sliceInf, svcInf, depInf} {
		if _, err := inf.AddEventHandler(h); err != nil {
			return nil, err
		}
	}
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return nil, fmt.Errorf("informer of %v did not sync", typ)
		}
	}
	return r, nil
}

// record appends what the stores hold now. Handlers of every informer call
// it; the stores are updated before a handler runs.
func (r *recorder) record() {
	at := time.Now()
	var svc *corev1.Service
	if o, ok, _ := r.services.GetByKey(r.ns + "/" + r.svc); ok {
		svc = o.(*corev1.Service)
	}
	var deps []*appsv1.Deployment
	for _, o := range r.deps.List() {
		if d := o.(*appsv1.Deployment); r.appSel.Matches(labels.Set(d.Labels)) {
			deps = append(deps, d)
		}
	}
	var pods []*corev1.Pod
	for _, o := range r.pods.List() {
		if p := o.(*corev1.Pod); r.appSel.Matches(labels.Set(p.Labels)) {
			pods = append(pods, p)
		}
	}
	var slices []*discoveryv1.EndpointSlice
	for _, o := range r.slices.List() {
		if s := o.(*discoveryv1.EndpointSlice); r.sliceSel.Matches(labels.Set(s.Labels)) {
			slices = append(slices, s)
		}
	}
	s := observe(at, svc, deps, pods, slices)
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
}

// since returns a copy of the snapshots recorded at or after t0.
func (r *recorder) since(t0 time.Time) []snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := len(r.log)
	for i > 0 && !r.log[i-1].at.Before(t0) {
		i--
	}
	return append([]snapshot(nil), r.log[i:]...)
}

// last returns the latest snapshot (zero before any event).
func (r *recorder) last() snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.log) == 0 {
		return snapshot{}
	}
	return r.log[len(r.log)-1]
}

// waitExact waits until the latest snapshot is exact on version and has
// been for hold (nothing newer arrived), reading the in-memory log every
// 2 ms; the watches deliver the events, nothing polls the API server.
func (r *recorder) waitExact(ctx context.Context, version string, hold, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		s := r.last()
		if s.exact == version && time.Since(s.at) >= hold {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Service's EndpointSlices were not exactly the ready pods of %s within %s (last: exact on %q, %d ready endpoints, pods %v, enabled %v)",
				version, timeout, s.exact, s.readyEndpoints, s.pods, s.enabled)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), fmt.Errorf("waiting for the EndpointSlices to list %s", version))
		case <-time.After(2 * time.Millisecond):
		}
	}
}
