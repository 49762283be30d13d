package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/test/k8senv"
)

// TestKubernetesPodWatchRunsFromStart: a server that has only been given
// the environment (no deploy, no status read since it started) labels the
// new pods of a group in a canary split, so they join traffic.
func TestKubernetesPodWatchRunsFromStart(t *testing.T) {
	t.Parallel()
	kc := k8senv.Shared(t)
	ns := kc.Namespace(t)
	env := k8sEnvironment(t, "k8s", kc, ns, model.TrafficReplicas)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A split left by an earlier server: v1 and v2 share traffic.
	p, err := kubernetes.New(kubernetes.Config{Environment: "k8s", Kubeconfig: env.Target.Kubeconfig, Namespace: ns,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	app := k8sApplication(1)
	for i, v := range []string{"1.0.0", "2.0.0"} {
		sg := model.ServerGroup{Name: model.ServerGroupName(k8sApp, i+1), Application: k8sApp, Environment: "k8s", Sequence: i + 1, Version: v, Instances: 1}
		if err := p.Ensure(ctx, sg, app); err != nil {
			t.Fatal(err)
		}
		if err := p.WaitHealthy(ctx, sg.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Route(ctx, app, []kubernetes.Route{{ServerGroup: "shop-v001", Weight: 50}, {ServerGroup: "shop-v002", Weight: 50}}); err != nil {
		t.Fatal(err)
	}

	c := startServer(t)
	if _, err := c.Apply(ctx, model.Config{Applications: []model.Application{app}, Environments: []model.Environment{env}}); err != nil {
		t.Fatal(err)
	}
	// The group scales up (an HPA, a person): its new pod must join traffic
	// once the server watches the environment (it looks for new ones every
	// 5 s; nothing else here makes it).
	if _, err := kc.Clientset.AppsV1().Deployments(ns).Patch(ctx, "shop-v002", types.MergePatchType, []byte(`{"spec":{"replicas":2}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		pods, err := kc.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelServerGroup + "=shop-v002"})
		if err != nil {
			t.Fatal(err)
		}
		enabled := 0
		for _, pod := range pods.Items {
			if pod.Labels[kubernetes.LabelEnabled] == "true" {
				enabled++
			}
		}
		if enabled == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d pods of shop-v002 enabled 20 s after the scale-up: nothing watches the environment", enabled, len(pods.Items))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
