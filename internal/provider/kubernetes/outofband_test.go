package kubernetes

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/model"
)

var (
	t0  = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	now = t0.Add(time.Hour)
)

// Field sets as the API server writes them.
const (
	fsApply           = `{"f:metadata":{"f:labels":{"f:app.kubernetes.io/name":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:metadata":{"f:labels":{"f:gennaker.dev/enabled":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"checkout\"}":{".":{},"f:image":{},"f:name":{}}}}}}}`
	fsApplyNoImage    = `{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"checkout\"}":{".":{},"f:name":{}}}}}}}`
	fsApplyNoReplicas = `{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"checkout\"}":{".":{},"f:image":{},"f:name":{}}}}}}}`
	fsImage           = `{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"checkout\"}":{"f:image":{}}}}}}}`
	fsReplicas        = `{"f:spec":{"f:replicas":{}}}`
	fsRestart         = `{"f:spec":{"f:template":{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/restartedAt":{}}}}}}`
	fsStatus          = `{"f:status":{"f:replicas":{}}}`
)

func entry(manager string, op metav1.ManagedFieldsOperationType, sub string, at time.Time, fields string) metav1.ManagedFieldsEntry {
	t := metav1.NewTime(at)
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, Subresource: sub, Time: &t, APIVersion: "apps/v1",
		FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}
}

// group returns a server group's Deployment at generation gen.
func groupDeployment(gen int64, image string, replicas int32, fields ...metav1.ManagedFieldsEntry) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: "checkout-v003", Namespace: "shop", UID: "uid-1", Generation: gen,
			Labels:        map[string]string{LabelApp: "checkout", LabelManagedBy: ManagedBy, LabelServerGroup: "checkout-v003"},
			ManagedFields: fields,
		},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "checkout", Image: image}}},
		}},
	}
}

func recorded(image string, replicas int32) *Recorded {
	return &Recorded{Application: "checkout", Images: map[string]string{"checkout": image}, Replicas: &replicas}
}

const (
	img12 = "ghcr.io/acme/checkout:1.2"
	img13 = "ghcr.io/acme/checkout:1.3-hotfix"
)

func TestDeploymentChanges(t *testing.T) {
	t.Parallel()
	t1, t2 := t0.Add(10*time.Minute), t0.Add(20*time.Minute)
	applied := entry(ManagedBy, metav1.ManagedFieldsOperationApply, "", t0, fsApply)
	appliedNoImage := entry(ManagedBy, metav1.ManagedFieldsOperationApply, "", t0, fsApplyNoImage)
	appliedNoReplicas := entry(ManagedBy, metav1.ManagedFieldsOperationApply, "", t0, fsApplyNoReplicas)
	set := entry("kubectl-set", metav1.ManagedFieldsOperationUpdate, "", t1, fsImage)
	scale := entry("kubectl-scale", metav1.ManagedFieldsOperationUpdate, "scale", t2, fsReplicas)
	resize := entry(ManagedBy, metav1.ManagedFieldsOperationUpdate, "", t1, fsReplicas)
	hpa := entry(KubeControllerManager, metav1.ManagedFieldsOperationUpdate, "scale", t1, fsReplicas)
	status := entry(KubeControllerManager, metav1.ManagedFieldsOperationUpdate, "status", t2, fsStatus)

	restarted := groupDeployment(2, img12, 3, applied, entry("kubectl-rollout", metav1.ManagedFieldsOperationUpdate, "", t1, fsRestart))
	restarted.Spec.Template.Annotations = map[string]string{"kubectl.kubernetes.io/restartedAt": "2026-12-04T10:10:00Z"}
	adopted := groupDeployment(4, img13, 3, entry("kubectl-client-side-apply", metav1.ManagedFieldsOperationUpdate, "", t0, fsApply))
	adopted.Annotations = map[string]string{AnnotationAdopted: "true"}
	foreign := groupDeployment(1, "nginx:1.27", 2, entry("kubectl-create", metav1.ManagedFieldsOperationUpdate, "", t1, fsApply), status)
	foreign.Labels = map[string]string{"app": "nginx"}
	foreign.CreationTimestamp = metav1.NewTime(t1)

	tests := []struct {
		name     string
		old, cur *appsv1.Deployment
		rec      *Recorded
		want     []string // "actor | detail | time | key"
	}{
		{
			name: "kubectl set image is recorded with its manager",
			old:  groupDeployment(1, img12, 3, applied),
			cur:  groupDeployment(2, img13, 3, appliedNoImage, set),
			want: []string{fmt.Sprintf("kubectl-set (Update) | image %s → %s | %s | uid-1/kubectl-set/Update//%d", img12, img13, t1.Format(time.RFC3339), t1.Unix())},
		},
		{
			name: "kubectl scale through the scale subresource",
			old:  groupDeployment(1, img12, 3, applied),
			cur:  groupDeployment(2, img12, 5, appliedNoReplicas, scale),
			want: []string{fmt.Sprintf("kubectl-scale (Update, scale) | replicas 3 → 5 | %s | uid-1/kubectl-scale/Update/scale/%d", t2.Format(time.RFC3339), t2.Unix())},
		},
		{
			name: "gennaker's own resize is not",
			old:  groupDeployment(1, img12, 3, applied),
			cur:  groupDeployment(2, img12, 5, appliedNoReplicas, resize),
		},
		{
			name: "gennaker's own apply is not",
			old:  groupDeployment(1, img12, 3, appliedNoImage, set),
			cur:  groupDeployment(2, img13, 3, applied),
		},
		{
			name: "an autoscaler's replicas are not",
			old:  groupDeployment(1, img12, 3, applied),
			cur:  groupDeployment(2, img12, 6, appliedNoReplicas, hpa),
		},
		{
			name: "replicas of an autoscaled group are not, whoever set them",
			old:  groupDeployment(1, img12, 3, applied),
			cur:  groupDeployment(2, img12, 6, appliedNoReplicas, scale),
			rec:  &Recorded{Autoscaled: true},
		},
		{
			name: "a status or metadata write (same generation) is not",
			old:  groupDeployment(2, img12, 3, applied),
			cur:  groupDeployment(2, img12, 3, applied, status),
		},
		{
			name: "kubectl rollout restart changes the pod template",
			old:  groupDeployment(1, img12, 3, applied),
			cur:  restarted,
			want: []string{fmt.Sprintf("kubectl-rollout (Update) | pod template changed (annotations) | %s | uid-1/kubectl-rollout/Update//%d", t1.Format(time.RFC3339), t1.Unix())},
		},
		{
			name: "on start: image and replicas changed by two managers while nobody watched",
			cur:  groupDeployment(3, img13, 5, entry(ManagedBy, metav1.ManagedFieldsOperationApply, "", t0, `{"f:spec":{}}`), set, scale),
			rec:  recorded(img12, 3),
			want: []string{
				fmt.Sprintf("kubectl-set (Update) | image %s → %s | %s | uid-1/kubectl-set/Update//%d", img12, img13, t1.Format(time.RFC3339), t1.Unix()),
				fmt.Sprintf("kubectl-scale (Update, scale) | replicas 3 → 5 | %s | uid-1/kubectl-scale/Update/scale/%d", t2.Format(time.RFC3339), t2.Unix()),
			},
		},
		{
			name: "on start: as recorded",
			cur:  groupDeployment(1, img12, 3, applied),
			rec:  recorded(img12, 3),
		},
		{
			name: "on start: gennaker wrote it after its record (a rollout in flight)",
			cur:  groupDeployment(2, img12, 5, appliedNoReplicas, resize),
			rec:  recorded(img12, 3),
		},
		{
			name: "on start: nothing recorded",
			cur:  groupDeployment(2, img13, 5, appliedNoImage, set),
		},
		{
			name: "on start: an adopted Deployment keeps its own image",
			cur:  adopted,
			rec:  recorded(img12, 3),
		},
		{
			name: "a change nobody owns is recorded without an actor",
			old:  groupDeployment(1, img12, 3),
			cur:  groupDeployment(2, img12, 4),
			want: []string{"" + " | replicas 3 → 4 | " + now.Format(time.RFC3339) + " | uid-1/generation/2"},
		},
		{
			name: "a foreign Deployment, once, when first seen",
			cur:  foreign,
			want: []string{fmt.Sprintf("kubectl-create (Update) | Deployment created outside gennaker: image nginx:1.27, replicas 2 | %s | uid-1/created", t1.Format(time.RFC3339))},
		},
		{
			name: "a foreign Deployment's update is not",
			old:  foreign,
			cur:  foreign,
		},
		{
			name: "adoption is gennaker's own",
			old:  foreign,
			cur:  groupDeployment(2, "nginx:1.27", 2),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, c := range DeploymentChanges(tt.old, tt.cur, tt.rec, ManagedBy, now) {
				got = append(got, strings.Join([]string{c.Actor, c.Detail, c.Time.Format(time.RFC3339), c.Key}, " | "))
				if want := "Deployment/shop/checkout-v003"; c.Ref != want {
					t.Errorf("ref %q, want %q", c.Ref, want)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDeploymentChangesApplication(t *testing.T) {
	t.Parallel()
	old := groupDeployment(1, img12, 3)
	cur := groupDeployment(2, img13, 3, entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, "", t0, fsImage))
	cs := DeploymentChanges(old, cur, nil, ManagedBy, now)
	if len(cs) != 1 || cs[0].Application != "checkout" {
		t.Fatalf("changes %+v, want one of application checkout", cs)
	}
	foreign := groupDeployment(1, "nginx", 1)
	foreign.Labels = nil
	if cs := DeploymentChanges(nil, foreign, nil, ManagedBy, now); len(cs) != 1 || cs[0].Application != "" {
		t.Fatalf("foreign: changes %+v, want one without application", cs)
	}
}

func TestRecordedFor(t *testing.T) {
	t.Parallel()
	app := model.Application{Name: "checkout", Image: "ghcr.io/acme/checkout:{{version}}"}
	sg := model.ServerGroup{Name: "checkout-v003", Application: "checkout", Environment: "prod", Version: "1.2", Instances: 3}
	rec := RecordedFor("shop", sg, app)
	if rec.Images["checkout"] != img12 || rec.Replicas == nil || *rec.Replicas != 3 || rec.Autoscaled || rec.Application != "checkout" {
		t.Fatalf("recorded %+v", rec)
	}
	app.Image = ""
	if rec := RecordedFor("shop", sg, app); rec.Images != nil || *rec.Replicas != 3 {
		t.Fatalf("without a renderable manifest: %+v, want images unknown", rec)
	}
}

func TestForeignWorkload(t *testing.T) {
	t.Parallel()
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "node-agent", Namespace: "shop", UID: "uid-ds",
		CreationTimestamp: metav1.NewTime(t0),
		ManagedFields: []metav1.ManagedFieldsEntry{
			entry(KubeControllerManager, metav1.ManagedFieldsOperationUpdate, "", t0.Add(-time.Second), `{"f:metadata":{}}`),
			entry("helm", metav1.ManagedFieldsOperationUpdate, "", t0, `{"f:spec":{}}`),
			entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, "", t0.Add(time.Hour), `{"f:spec":{}}`),
		}},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "agent", Image: "agent:2"}, {Name: "sidecar", Image: "envoy:1"}}}}},
	}
	got := ForeignWorkload("DaemonSet", false, ds, ds.Spec.Template, nil, now)
	want := OutOfBandChange{Key: "uid-ds/created", Ref: "DaemonSet/shop/node-agent", Actor: "helm (Update)",
		Detail: "DaemonSet created outside gennaker: image agent:2, envoy:1", Time: t0}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got := ForeignWorkload("DaemonSet", true, ds, ds.Spec.Template, nil, now); got != nil {
		t.Errorf("seen before: %+v", got)
	}
	ds.Labels = map[string]string{LabelManagedBy: ManagedBy}
	if got := ForeignWorkload("DaemonSet", false, ds, ds.Spec.Template, nil, now); got != nil {
		t.Errorf("gennaker's own: %+v", got)
	}
}
