package kubernetes

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gennaker/gennaker/internal/model"
)

func typed(t *testing.T, obj map[string]any) appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuildDeploymentFromSpec(t *testing.T) {
	t.Parallel()
	sg := testGroup(3, "1.4.2", 3)
	sg.Env = map[string]string{"FEATURE_X": "on"}
	obj, err := BuildDeployment("shop", sg, testApp())
	if err != nil {
		t.Fatal(err)
	}
	d := typed(t, obj)
	wantLabels := map[string]string{
		LabelApp: "checkout", LabelManagedBy: "gennaker", LabelVersion: "1.4.2", LabelServerGroup: "checkout-v003",
	}
	for k, v := range wantLabels {
		if d.Labels[k] != v {
			t.Errorf("Deployment label %s = %q, want %q", k, d.Labels[k], v)
		}
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("pod template label %s = %q, want %q", k, d.Spec.Template.Labels[k], v)
		}
	}
	if got := d.Spec.Template.Labels[LabelEnabled]; got != "false" {
		t.Errorf("pod template %s = %q: new pods must start out of traffic", LabelEnabled, got)
	}
	if got := d.Spec.Selector.MatchLabels; len(got) != 2 || got[LabelServerGroup] != "checkout-v003" || got[LabelApp] != "checkout" {
		t.Errorf("selector = %v, want app and server group only (the traffic label must not be in it)", got)
	}
	if d.Name != "checkout-v003" || d.Namespace != "shop" || *d.Spec.Replicas != 3 {
		t.Errorf("name/namespace/replicas = %s/%s/%d", d.Namespace, d.Name, *d.Spec.Replicas)
	}
	if *d.Spec.ProgressDeadlineSeconds != 30 || d.Annotations[AnnotationStartupTimeout] != "30s" {
		t.Errorf("progress deadline %d, annotation %q: want the startup timeout", *d.Spec.ProgressDeadlineSeconds, d.Annotations[AnnotationStartupTimeout])
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example.com/checkout:1.4.2" {
		t.Errorf("image = %s", c.Image)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	for k, v := range map[string]string{"GREETING": "hi from checkout 1.4.2", "FEATURE_X": "on", "VERSION": "1.4.2", "PORT": "8080"} {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.IntVal != 8080 || p.PeriodSeconds != 2 {
		t.Errorf("readiness probe = %+v", p)
	}
	if c.Resources.Requests.Cpu().String() != "100m" || c.Resources.Limits.Memory().String() != "256Mi" {
		t.Errorf("resources = %+v", c.Resources)
	}
	if _, ok := obj["status"]; ok {
		t.Error("the applied object must not carry status")
	}
}

func TestBuildDeploymentFromTemplate(t *testing.T) {
	t.Parallel()
	app := testApp()
	app.Manifest = "deploy/checkout.yaml.tmpl"
	app.ManifestTemplate = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ignored
  labels: {team: payments}
spec:
  replicas: {{replicas}}
  selector: {matchLabels: {app: old}}
  template:
    metadata:
      labels: {team: payments}
    spec:
      containers:
      - name: "{{app}}"
        image: "{{image}}"
        env: [{name: SG, value: "{{serverGroup}}"}, {name: FEATURE_X, value: "off"}]
`
	sg := testGroup(2, "2.0.0", 4)
	sg.Env = map[string]string{"FEATURE_X": "on"}
	obj, err := BuildDeployment("shop", sg, app)
	if err != nil {
		t.Fatal(err)
	}
	d := typed(t, obj)
	if d.Name != "checkout-v002" || *d.Spec.Replicas != 4 || d.Labels["team"] != "payments" || d.Labels[LabelServerGroup] != "checkout-v002" {
		t.Errorf("metadata = %+v, replicas %d", d.ObjectMeta, *d.Spec.Replicas)
	}
	if d.Spec.Selector.MatchLabels["app"] != "" || d.Spec.Selector.MatchLabels[LabelServerGroup] != "checkout-v002" {
		t.Errorf("selector = %v: gennaker owns it", d.Spec.Selector.MatchLabels)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example.com/checkout:2.0.0" || c.Name != "checkout" {
		t.Errorf("container = %s %s", c.Name, c.Image)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["SG"] != "checkout-v002" || env["FEATURE_X"] != "on" {
		t.Errorf("env = %v: want placeholders rendered and the deploy's env on top", env)
	}
	if d.Spec.Template.Labels["team"] != "payments" || d.Spec.Template.Labels[LabelEnabled] != "false" {
		t.Errorf("template labels = %v", d.Spec.Template.Labels)
	}
}

func TestBuildDeploymentRejectsOtherKinds(t *testing.T) {
	t.Parallel()
	app := testApp()
	app.Manifest = "deploy/svc.yaml"
	app.ManifestTemplate = "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
	_, err := BuildDeployment("shop", testGroup(1, "1", 1), app)
	if err == nil || !strings.Contains(err.Error(), "deploy/svc.yaml") || !strings.Contains(err.Error(), "found kind Service") {
		t.Fatalf("err = %v, want one naming the file and the kind found", err)
	}
}

func TestEnsureUsesServerSideApply(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	sg := testGroup(1, "1.0.0", 2)
	for range 2 { // idempotent
		if err := f.p.Ensure(ctx, sg, testApp()); err != nil {
			t.Fatal(err)
		}
	}
	var applies int
	for _, a := range f.kube.Actions() {
		pa, ok := a.(k8stesting.PatchAction)
		if !ok || a.GetResource().Resource != "deployments" {
			continue
		}
		applies++
		if pa.GetPatchType() != types.ApplyPatchType {
			t.Errorf("patch type %s, want server-side apply", pa.GetPatchType())
		}
		var body map[string]any
		if err := json.Unmarshal(pa.GetPatch(), &body); err != nil {
			t.Fatal(err)
		}
		if body["kind"] != "Deployment" || body["apiVersion"] != "apps/v1" {
			t.Errorf("applied object %v lacks kind/apiVersion", body["kind"])
		}
	}
	if applies != 2 {
		t.Fatalf("%d applies, want 2", applies)
	}
	d := f.deployment(t, "checkout-v001")
	if d.Labels[LabelServerGroup] != "checkout-v001" || *d.Spec.Replicas != 2 {
		t.Errorf("stored Deployment = %v replicas %d", d.Labels, *d.Spec.Replicas)
	}
	var managers []string
	for _, m := range d.ManagedFields {
		managers = append(managers, m.Manager+"/"+string(m.Operation))
	}
	if len(managers) != 1 || managers[0] != "gennaker/Apply" {
		t.Errorf("managed fields = %v, want gennaker/Apply", managers)
	}
}
