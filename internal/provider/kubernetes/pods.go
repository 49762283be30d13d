package kubernetes

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// A server group's pods are found by ownership, never by a label query
// alone: pod → ReplicaSet (its controller) → Deployment (by UID). Another
// group's pods can match a Deployment's selector (an adopted Deployment that
// selects app=checkout matches the pods of every later group rendered from
// the same manifest); relabelling those would take them out of their
// ReplicaSet, which would replace them, without end.

// OwnedPods returns the pods among pods whose controller is one of the
// ReplicaSets among rss that the Deployment d controls. Pure.
func OwnedPods(d *appsv1.Deployment, rss []appsv1.ReplicaSet, pods []corev1.Pod) []corev1.Pod {
	mine := map[types.UID]bool{}
	for i := range rss {
		if controlledBy(rss[i].OwnerReferences, d.UID) {
			mine[rss[i].UID] = true
		}
	}
	var out []corev1.Pod
	for _, pod := range pods {
		if ref := metav1.GetControllerOfNoCopy(&pod); ref != nil && mine[ref.UID] {
			out = append(out, pod)
		}
	}
	return out
}

func controlledBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.Controller != nil && *r.Controller && r.UID == uid {
			return true
		}
	}
	return false
}

// selectorOf is the Deployment's own pod selector, narrowing list calls
// (ownership decides, the selector only saves bandwidth).
func selectorOf(d *appsv1.Deployment) (labels.Selector, error) {
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s: selector: %w", d.Namespace, d.Name, err)
	}
	return sel, nil
}

// groupPods lists the pods a server group's Deployment owns.
func (p *Provider) groupPods(ctx context.Context, d *appsv1.Deployment) ([]corev1.Pod, error) {
	sel, err := selectorOf(d)
	if err != nil {
		return nil, err
	}
	opts := metav1.ListOptions{LabelSelector: sel.String()}
	var rss *appsv1.ReplicaSetList
	err = p.retry(ctx, p.what("list", "ReplicaSets", sel.String()), func(ctx context.Context) error {
		var err error
		rss, err = p.kube.AppsV1().ReplicaSets(p.ns).List(ctx, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	var list *corev1.PodList
	err = p.retry(ctx, p.what("list", "Pods", sel.String()), func(ctx context.Context) error {
		var err error
		list, err = p.kube.CoreV1().Pods(p.ns).List(ctx, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return OwnedPods(d, rss.Items, list.Items), nil
}
