package kubernetes

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/model"
)

// The traffic sync's watches label a pod created after a route as its group
// says, without a resync or a SyncTraffic call, and end with their context.
func TestTrafficSyncLabelsALatePodFromItsWatch(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.p.RunTrafficSync(ctx, time.Hour) }()
	sg := testGroup(1, "1.0.0", 1)
	if err := f.p.Ensure(ctx, sg, testApp()); err != nil {
		t.Fatal(err)
	}
	f.addPods(t, f.deployment(t, sg.Name), 1, true)
	if err := f.p.Route(ctx, testApp(), []Route{{ServerGroup: sg.Name, Weight: 100}}); err != nil {
		t.Fatal(err)
	}
	f.addPods(t, f.deployment(t, sg.Name), 1, true) // a rescheduled pod, created disabled
	deadline := time.Now().Add(10 * time.Second)
	for !f.allEnabled(t, sg.Name) {
		if time.Now().After(deadline) {
			t.Fatalf("the late pod of %s is still not enabled", sg.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunTrafficSync: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunTrafficSync did not end with its context")
	}
}

// allEnabled says whether every pod of the group is labelled enabled.
func (f fakeBundle) allEnabled(t *testing.T, group string) bool {
	t.Helper()
	pods, err := f.kube.CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{LabelSelector: LabelServerGroup + "=" + group})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Labels[LabelEnabled] != "true" {
			return false
		}
	}
	return len(pods.Items) > 0
}
