package kubernetes

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gennaker/gennaker/internal/model"
)

func pod(name string, mutate func(*corev1.Pod)) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.PodStatus{Phase: corev1.PodPending}}
	mutate(&p)
	return p
}

func warning(pod, reason, msg string, at time.Time) corev1.Event {
	return corev1.Event{
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod},
		Type:           corev1.EventTypeWarning, Reason: reason, Message: msg,
		LastTimestamp: metav1.NewTime(at),
	}
}

func TestDiagnose(t *testing.T) {
	t.Parallel()
	now := time.Now()
	unschedulable := pod("web-1", func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
			Message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."}}
	})
	imagePull := pod("web-2", func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason: "ImagePullBackOff", Message: `Back-off pulling image "registry/web:9.9"`}}}}
	})
	crashLoop := pod("web-3", func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodRunning
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web",
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error", Message: "panic: no DATABASE_URL"}},
		}}
	})
	ready := pod("web-0", func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	})
	for _, tc := range []struct {
		name   string
		pods   []corev1.Pod
		events []corev1.Event
		want   string
	}{
		{"unschedulable, the event repeating the status is left out", []corev1.Pod{ready, unschedulable},
			[]corev1.Event{warning("web-1", "FailedScheduling", "old", now.Add(-time.Minute)), warning("web-1", "FailedScheduling", "0/2 nodes are available", now)},
			"pod web-1: Unschedulable: 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."},
		{"unschedulable, with a newer event", []corev1.Pod{unschedulable},
			[]corev1.Event{warning("web-1", "FailedScheduling", "0/3 nodes are available: 1 Insufficient memory", now)},
			"pod web-1: Unschedulable: 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.; event FailedScheduling: 0/3 nodes are available: 1 Insufficient memory"},
		{"image pull", []corev1.Pod{imagePull}, nil,
			`pod web-2: container web: ImagePullBackOff: Back-off pulling image "registry/web:9.9"`},
		{"crash loop quotes the last exit", []corev1.Pod{crashLoop}, []corev1.Event{warning("web-3", "BackOff", "Back-off restarting failed container", now)},
			"pod web-3: container web: CrashLoopBackOff: back-off 40s restarting failed container (last exit code 2: Error: panic: no DATABASE_URL); event BackOff: Back-off restarting failed container"},
		{"only an event", []corev1.Pod{pod("web-4", func(*corev1.Pod) {})}, []corev1.Event{warning("web-4", "FailedMount", "secret not found", now)},
			"pod web-4: event FailedMount: secret not found"},
		{"nothing to say", []corev1.Pod{pod("web-5", func(*corev1.Pod) {})}, nil, "pod web-5: not ready (phase Pending)"},
		{"all ready", []corev1.Pod{ready}, nil, ""},
	} {
		if got := Diagnose(tc.pods, tc.events); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func setStatus(t *testing.T, f fakeBundle, name string, mutate func(*appsv1.Deployment)) {
	t.Helper()
	d := f.deployment(t, name)
	mutate(d)
	if _, err := f.kube.AppsV1().Deployments("shop").UpdateStatus(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestWaitHealthy(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	sg := testGroup(1, "1.0.0", 2)
	if err := f.p.Ensure(ctx, sg, testApp()); err != nil {
		t.Fatal(err)
	}
	// Count WaitHealthy's looks at the Deployment, to know it has seen the
	// unfinished rollout (twice) rather than guess with a sleep.
	looks := make(chan struct{}, 100)
	f.kube.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		select {
		case looks <- struct{}{}:
		default:
		}
		return false, nil, nil
	})
	done := make(chan error, 1)
	go func() { done <- f.p.WaitHealthy(ctx, sg.Name) }()
	for range 2 {
		select {
		case <-looks:
		case err := <-done:
			t.Fatalf("WaitHealthy returned before the rollout: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("WaitHealthy never looked at the Deployment")
		}
	}
	select {
	case err := <-done:
		t.Fatalf("WaitHealthy returned before the rollout: %v", err)
	default:
	}
	setStatus(t, f, sg.Name, func(d *appsv1.Deployment) {
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2}
	})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitHealthy did not notice the rollout")
	}
}

func TestWaitHealthyFailsWithThePodsReason(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	sg := testGroup(1, "1.0.0", 1)
	if err := f.p.Ensure(ctx, sg, testApp()); err != nil {
		t.Fatal(err)
	}
	d := f.deployment(t, sg.Name)
	p := f.addPods(t, d, 1, false)[0]
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/2 nodes are available"}}
	if _, err := f.kube.CoreV1().Pods("shop").UpdateStatus(ctx, &p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	setStatus(t, f, sg.Name, func(d *appsv1.Deployment) {
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 1, UpdatedReplicas: 1, Conditions: []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
			Message: `ReplicaSet "checkout-v001-abc" has timed out progressing.`,
		}}}
	})
	err := f.p.WaitHealthy(ctx, sg.Name)
	var ue *UnhealthyError
	if !errors.As(err, &ue) || !errors.Is(err, ErrNotHealthy) {
		t.Fatalf("err = %v, want an UnhealthyError", err)
	}
	for _, want := range []string{"checkout-v001: 0 of 1 replicas available", "Unschedulable: 0/2 nodes are available", "ProgressDeadlineExceeded"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
