package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// RunTrafficSync keeps the pods of every server group in the namespace
// labelled as their Deployment says (group labels and the traffic switch)
// until ctx ends. It watches Deployments, ReplicaSets and Pods, so a pod a
// ReplicaSet creates (a scale-up, `kubectl rollout restart`, an eviction, a
// node drain) is labelled within milliseconds of its creation, long before
// it can become Ready. resync (default 10s) re-examines every group as a
// safety net.
//
// While one gennaker-created group takes all traffic the stable Service
// selects it by its server-group label, which its pod template carries, so
// traffic does not depend on this loop at all; while several groups share
// traffic (a canary) new pods of enabled groups join through it.
func (p *Provider) RunTrafficSync(ctx context.Context, resync time.Duration) error {
	if resync <= 0 {
		resync = 10 * time.Second
	}
	// One informer per kind, not informers.NewSharedInformerFactory: the
	// factory links an informer and a lister for every API group (about
	// 1.3 MB of code every server would map; docs/benchmarks.md, Footprint).
	byNamespace := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
	deps := appsinformers.NewDeploymentInformer(p.kube, p.ns, resync, byNamespace)
	rss := appsinformers.NewReplicaSetInformer(p.kube, p.ns, resync, byNamespace)
	pods := coreinformers.NewPodInformer(p.kube, p.ns, resync, byNamespace)
	s := &trafficSync{
		p:     p,
		deps:  appslisters.NewDeploymentLister(deps.GetIndexer()),
		rss:   appslisters.NewReplicaSetLister(rss.GetIndexer()),
		pods:  corelisters.NewPodLister(pods.GetIndexer()),
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	defer s.queue.ShutDown()
	handlers := []struct {
		kind string
		inf  cache.SharedIndexInformer
		key  func(any) string
	}{
		{"deployments", deps, s.deploymentKey},
		{"replicasets", rss, s.replicaSetKey},
		{"pods", pods, s.podKey},
	}
	for _, h := range handlers {
		key := h.key
		enqueue := func(obj any) {
			if k := key(obj); k != "" {
				s.queue.Add(k)
			}
		}
		if _, err := h.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    enqueue,
			UpdateFunc: func(_, obj any) { enqueue(obj) },
		}); err != nil {
			return fmt.Errorf("kubernetes: traffic sync of %s: %w", p.ns, err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	defer running.Wait() // after stop: the informers end with runCtx
	defer stop()
	for _, h := range handlers {
		running.Go(func() { h.inf.RunWithContext(runCtx) })
	}
	syncCtx, cancel := context.WithTimeout(runCtx, cacheSyncTimeout)
	defer cancel()
	for _, h := range handlers {
		if !cache.WaitForCacheSync(syncCtx.Done(), h.inf.HasSynced) && ctx.Err() == nil {
			return fmt.Errorf("kubernetes: watching %s in namespace %s: no complete list after %s: check that the API server is up and that the Role grants list and watch on pods, replicasets and deployments (docs/kubernetes-rbac.yaml)", h.kind, p.ns, cacheSyncTimeout)
		}
	}
	p.log.Debug("kubernetes: traffic sync watching", "namespace", p.ns)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s.next(ctx) {
		}
	}()
	<-ctx.Done()
	s.queue.ShutDown()
	<-done
	return nil
}

// cacheSyncTimeout bounds RunTrafficSync's first list of each kind.
const cacheSyncTimeout = time.Minute

// trafficSync is RunTrafficSync's state: listers over the informers' caches
// and a queue of Deployment names to bring in line.
type trafficSync struct {
	p     *Provider
	deps  appslisters.DeploymentLister
	rss   appslisters.ReplicaSetLister
	pods  corelisters.PodLister
	queue workqueue.TypedRateLimitingInterface[string]
}

func (s *trafficSync) deploymentKey(obj any) string {
	if d, ok := obj.(*appsv1.Deployment); ok && isServerGroup(d) {
		return d.Name
	}
	return ""
}

func (s *trafficSync) replicaSetKey(obj any) string {
	rs, ok := obj.(*appsv1.ReplicaSet)
	if !ok {
		return ""
	}
	if ref := metav1.GetControllerOfNoCopy(rs); ref != nil && ref.Kind == "Deployment" {
		return ref.Name
	}
	return ""
}

func (s *trafficSync) podKey(obj any) string {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.DeletionTimestamp != nil {
		return ""
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return ""
	}
	rs, err := s.rss.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return "" // the ReplicaSet's own event brings its Deployment in
	}
	return s.replicaSetKey(rs)
}

// isServerGroup reports whether gennaker manages the Deployment as a server group.
func isServerGroup(d *appsv1.Deployment) bool {
	return d.Labels[LabelManagedBy] == ManagedBy && d.Labels[LabelServerGroup] != ""
}

func (s *trafficSync) next(ctx context.Context) bool {
	name, quit := s.queue.Get()
	if quit {
		return false
	}
	defer s.queue.Done(name)
	if err := s.sync(ctx, name); err != nil {
		if s.queue.NumRequeues(name) > 5 {
			s.p.log.Warn("kubernetes: labelling the pods of a server group", "deployment", name, "err", err)
		}
		s.queue.AddRateLimited(name)
		return true
	}
	s.queue.Forget(name)
	return true
}

// sync labels the pods one Deployment owns, from the caches.
func (s *trafficSync) sync(ctx context.Context, name string) error {
	d, err := s.deps.Deployments(s.p.ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || !isServerGroup(d) {
		return err
	}
	sel, err := selectorOf(d)
	if err != nil {
		return err
	}
	rsPtrs, err := s.rss.ReplicaSets(s.p.ns).List(sel)
	if err != nil {
		return err
	}
	podPtrs, err := s.pods.Pods(s.p.ns).List(sel)
	if err != nil {
		return err
	}
	rss := make([]appsv1.ReplicaSet, len(rsPtrs))
	for i, rs := range rsPtrs {
		rss[i] = *rs
	}
	pods := make([]corev1.Pod, len(podPtrs))
	for i, pod := range podPtrs {
		pods[i] = *pod
	}
	want := PodLabels(d)
	for _, pod := range OwnedPods(d, rss, pods) {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if err := s.p.patchPodLabels(ctx, pod, want, false); err != nil {
			return err
		}
	}
	return nil
}

// patchPodLabels sets the labels of want that the pod lacks or has with
// another value, guarded by the pod's UID (a pod deleted and recreated
// under the same name is not touched). retry says whether to retry
// transient errors here (the informer's queue retries on its own).
func (p *Provider) patchPodLabels(ctx context.Context, pod corev1.Pod, want map[string]string, retry bool) error {
	patch := labelPatch(pod.Labels, want)
	if patch == nil {
		return nil
	}
	meta := map[string]any{"labels": patch}
	if pod.UID != "" {
		meta["uid"] = pod.UID // a precondition: never label a namesake
	}
	body, _ := json.Marshal(map[string]any{"metadata": meta})
	call := func(ctx context.Context) error {
		_, err := p.kube.CoreV1().Pods(p.ns).Patch(ctx, pod.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) && pod.UID != "" {
			return nil // gone (or replaced) meanwhile
		}
		return err
	}
	if !retry {
		return call(ctx)
	}
	return p.retry(ctx, p.what("label", "Pod", pod.Name), call)
}
