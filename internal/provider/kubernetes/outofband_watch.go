package kubernetes

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	"k8s.io/client-go/tools/cache"
)

// OutOfBandWatch is what WatchOutOfBand needs from its caller.
type OutOfBandWatch struct {
	// Recorded returns what gennaker recorded for the server group named
	// group, nil when it recorded none (or has destroyed it).
	Recorded func(ctx context.Context, group string) (*Recorded, error)
	// Report records one change; recording the same Key twice must record
	// it once (several replicas watch the same namespace).
	Report func(ctx context.Context, c OutOfBandChange) error
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// reportAttempts bounds how often one change is offered to Report before
// it is dropped with a warning (the next start compares image and
// replicas again).
const reportAttempts = 5

// WatchOutOfBand watches the namespace's Deployments, StatefulSets and
// DaemonSets until ctx ends and reports the changes made around gennaker
// (DeploymentChanges, WorkloadCreated): edits of its server groups by other
// field managers, and workloads it does not own. The first list compares
// each server group's Deployment with what gennaker recorded, so a change
// made while nobody watched is reported too. It needs list and watch on
// the three kinds (docs/kubernetes-rbac.yaml).
func (p *Provider) WatchOutOfBand(ctx context.Context, w OutOfBandWatch) error {
	if w.Now == nil {
		w.Now = time.Now
	}
	byNamespace := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
	informers := []struct {
		kind string
		inf  cache.SharedIndexInformer
	}{
		{"deployments", appsinformers.NewDeploymentInformer(p.kube, p.ns, 0, byNamespace)},
		{"statefulsets", appsinformers.NewStatefulSetInformer(p.kube, p.ns, 0, byNamespace)},
		{"daemonsets", appsinformers.NewDaemonSetInformer(p.kube, p.ns, 0, byNamespace)},
	}
	o := &oobWatch{p: p, w: w}
	for _, i := range informers {
		if _, err := i.inf.AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
			AddFunc:    func(obj any, _ bool) { o.handle(ctx, nil, obj) },
			UpdateFunc: func(old, obj any) { o.handle(ctx, old, obj) },
		}); err != nil {
			return fmt.Errorf("kubernetes: out-of-band watch of %s: %w", p.ns, err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	defer running.Wait()
	defer stop()
	for _, i := range informers {
		running.Go(func() { i.inf.RunWithContext(runCtx) })
	}
	syncCtx, cancel := context.WithTimeout(runCtx, cacheSyncTimeout)
	defer cancel()
	for _, i := range informers {
		if !cache.WaitForCacheSync(syncCtx.Done(), i.inf.HasSynced) && ctx.Err() == nil {
			return fmt.Errorf("kubernetes: watching %s in namespace %s for out-of-band changes: no complete list after %s: check that the API server is up and that the Role grants list and watch on deployments, statefulsets and daemonsets (docs/kubernetes-rbac.yaml)", i.kind, p.ns, cacheSyncTimeout)
		}
	}
	p.log.Debug("kubernetes: out-of-band watch running", "namespace", p.ns)
	<-ctx.Done()
	return nil
}

// oobWatch turns informer notifications into reported changes.
type oobWatch struct {
	p *Provider
	w OutOfBandWatch
}

func (o *oobWatch) handle(ctx context.Context, oldObj, obj any) {
	var changes []OutOfBandChange
	attempt := func() error {
		var err error
		changes, err = o.decide(ctx, oldObj, obj)
		return err
	}
	if !o.try(ctx, "deciding", attempt) {
		return
	}
	for _, c := range changes {
		o.try(ctx, "recording", func() error { return o.w.Report(ctx, c) })
	}
}

// decide reads what gennaker recorded for a server group's Deployment and
// calls the pure decision for the object's kind.
func (o *oobWatch) decide(ctx context.Context, oldObj, obj any) ([]OutOfBandChange, error) {
	now := o.w.Now()
	switch cur := obj.(type) {
	case *appsv1.Deployment:
		old, _ := oldObj.(*appsv1.Deployment)
		var rec *Recorded
		if isServerGroup(cur) && (old == nil || old.Generation != cur.Generation) {
			var err error
			if rec, err = o.w.Recorded(ctx, cur.Labels[LabelServerGroup]); err != nil {
				return nil, fmt.Errorf("server group %s: reading what gennaker recorded: %w", cur.Labels[LabelServerGroup], err)
			}
		}
		return DeploymentChanges(old, cur, rec, ManagedBy, now), nil
	case *appsv1.StatefulSet:
		return ForeignWorkload("StatefulSet", oldObj != nil, cur, cur.Spec.Template, cur.Spec.Replicas, now), nil
	case *appsv1.DaemonSet:
		return ForeignWorkload("DaemonSet", oldObj != nil, cur, cur.Spec.Template, nil, now), nil
	}
	return nil, nil
}

// try runs fn up to reportAttempts times with a growing pause, and logs
// when it gives up.
func (o *oobWatch) try(ctx context.Context, what string, fn func() error) bool {
	pause := 200 * time.Millisecond
	for i := 1; ; i++ {
		err := fn()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if i == reportAttempts {
			o.p.log.Warn("kubernetes: out-of-band change not recorded", "what", what, "err", err)
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(pause):
		}
		pause *= 2
	}
}
