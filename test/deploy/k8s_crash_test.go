package deploy

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/k8senv"
	"github.com/gennaker/gennaker/test/testserver"
)

// TestKubernetesCrashMidCanary kills the gennaker server (SIGKILL, a real
// separate process) at several points of a canary on a real Kubernetes API
// server, restarts it each time, and checks the rollout finishes exactly
// once with no duplicate Deployment. On each store: on PostgreSQL a
// restarted server takes over its predecessor's step when the step's claim
// expires (testserver.PostgresClaimTTL).
func TestKubernetesCrashMidCanary(t *testing.T) {
	t.Parallel()
	for _, kind := range testserver.StoreKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			testKubernetesCrashMidCanary(t, kind)
		})
	}
}

func testKubernetesCrashMidCanary(t *testing.T, kind testserver.StoreKind) {
	kc := k8senv.Shared(t)
	ns := kc.Namespace(t)
	r := newRigOn(t, kind)
	ctx := context.Background()

	pause := &model.PauseStep{Duration: model.Duration(2 * time.Second)}
	w20, w50 := 20, 50
	cfg := model.Config{
		Applications: []model.Application{{
			Name: app, Image: "registry.example.com/shop:{{version}}", Port: 8080, Instances: 2,
			HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(time.Second), Timeout: model.Duration(time.Second), StartupTimeout: model.Duration(30 * time.Second)},
		}},
		Environments: []model.Environment{{Name: "k8s", Target: model.TargetSpec{
			Kind: model.TargetKubernetes, Kubeconfig: kc.ServiceAccount(t, ns).Kubeconfig, Namespace: ns,
			Traffic: model.TrafficGateway, Gateway: &model.GatewayRef{Name: "public"},
		}}},
		Pipelines: []model.Pipeline{{Name: "k8s-canary", Application: app, Parameters: []model.Parameter{{Name: "version", Required: true}},
			Stages: []model.StageSpec{{Name: "canary", Timeout: model.Duration(5 * time.Minute), Deploy: &model.DeployStage{
				Environment: "k8s", Strategy: model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{Steps: []model.CanaryStep{
					{SetWeight: &w20}, {Pause: pause}, {SetWeight: &w50}, {Pause: pause},
				}}},
			}}}}},
	}
	if _, err := r.c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	first, err := r.c.Deploy(ctx, deploy.Request{Application: app, Environment: "k8s", Version: "1.0.0", Pipeline: "k8s-canary"})
	if err != nil {
		t.Fatal(err)
	}
	if e := r.wait(first.ID, time.Minute); e.Status != model.ExecutionSucceeded {
		t.Fatalf("first deploy: %s: %s", e.Status, e.Reason)
	}

	exec, err := r.c.Deploy(ctx, deploy.Request{Application: app, Environment: "k8s", Version: "2.0.0", Pipeline: "k8s-canary"})
	if err != nil {
		t.Fatal(err)
	}
	// Kill at: the canary's Deployment just created, the first pause, the second pause.
	kills := []struct {
		name string
		when func(e *model.Execution) bool
	}{
		{"canary created", func(e *model.Execution) bool { return strings.Contains(output(e).Summary, "wait until every") }},
		{"first pause", func(e *model.Execution) bool { return strings.Contains(output(e).Summary, "paused") }},
		{"after setWeight 50", func(e *model.Execution) bool { return output(e).Step >= 7 }},
	}
	for _, k := range kills {
		e := r.waitFor(exec.ID, time.Minute, "to reach "+k.name, func(e *model.Execution) bool { return k.when(e) || finished(e) })
		if finished(e) {
			t.Logf("the execution finished before the kill %q", k.name)
			break
		}
		r.kill9()
		t.Logf("killed at %q (step %d: %s)", k.name, output(e).Step+1, output(e).Summary)
		r.start()
	}
	e := r.wait(exec.ID, 2*time.Minute)
	if e.Status != model.ExecutionSucceeded {
		t.Fatalf("canary after restarts: %s: %s\n%s", e.Status, e.Reason, r.serverLog())
	}
	finishedEvents := 0
	for _, ev := range r.events(exec.ID) {
		if ev.Kind == model.EventExecutionFinished {
			finishedEvents++
		}
	}
	if finishedEvents != 1 {
		t.Errorf("want exactly one execution_finished event, got %d", finishedEvents)
	}
	list, err := kc.Clientset.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || !strings.HasSuffix(list.Items[0].Spec.Template.Spec.Containers[0].Image, ":2.0.0") {
		var names []string
		for _, d := range list.Items {
			names = append(names, d.Name)
		}
		t.Errorf("after promotion want one Deployment running 2.0.0, got %v", names)
	}
	// One server group per role of the canary: no duplicate was created by a restart.
	st, err := r.c.Status(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	var created int
	for _, env := range st.Environments {
		for _, sg := range env.ServerGroups {
			if sg.ExecutionID == exec.ID {
				created++
			}
		}
	}
	if created > 2 { // the canary (now production) and, until destroyed, its baseline
		t.Errorf("the canary execution created %d live server groups; restarts must not duplicate them", created)
	}
}
