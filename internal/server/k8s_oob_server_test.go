package server_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
)

// TestKubernetesOutOfBandThroughTheServer: a whole server watches its
// Kubernetes environment; its own deploy is no out-of-band change, an
// image set with another field manager is, and the events API lists it.
func TestKubernetesOutOfBandThroughTheServer(t *testing.T) {
	t.Parallel()
	kc, ns, c := k8sServer(t, "k8s", 1, model.TrafficReplicas, deployPipeline("hl", "k8s", model.Strategy{Type: model.StrategyHighlander}))
	ctx := context.Background()
	e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: "1.0.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)
	body := fmt.Appendf(nil, `{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":"registry.example.com/shop:1.0.1-hotfix"}]}}}}`, k8sApp)
	if _, err := kc.Clientset.AppsV1().Deployments(ns).Patch(ctx, k8sApp+"-v001", types.StrategicMergePatchType, body,
		metav1.PatchOptions{FieldManager: "kubectl-set"}); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"application": {k8sApp}, "kind": {string(model.EventOutOfBand)}}
	var evs []model.Event
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if evs, err = c.Events(ctx, q); err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 {
			break
		}
	}
	time.Sleep(time.Second)
	if evs, err = c.Events(ctx, q); err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("out-of-band events %+v, want one", evs)
	}
	ev := evs[0]
	if ev.Environment != "k8s" || ev.Actor != "kubectl-set (Update)" || ev.Ref != "Deployment/"+ns+"/"+k8sApp+"-v001" ||
		ev.Detail != "image registry.example.com/shop:1.0.0 → registry.example.com/shop:1.0.1-hotfix" {
		t.Fatalf("event %+v", ev)
	}
}
