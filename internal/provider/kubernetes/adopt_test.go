package kubernetes

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/model"
)

func legacyDeployment(selector map[string]string) *appsv1.Deployment {
	two := int32(2)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "checkout", Namespace: "shop", Labels: map[string]string{"app": "checkout"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &two,
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: selector},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.example.com/checkout:1.3.0"}}},
			},
		},
		Status: appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2, ReadyReplicas: 2},
	}
}

func TestAdoptLabelsWithoutARollout(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	d, err := f.kube.AppsV1().Deployments("shop").Create(ctx, legacyDeployment(map[string]string{"app": "checkout"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.addPods(t, d, 2, true)
	sg, err := f.p.Adopt(ctx, testApp(), "checkout", false)
	if err != nil {
		t.Fatal(err)
	}
	if sg.Name != "checkout-v001" || sg.Version != "1.3.0" || sg.Instances != 2 || sg.Status != model.ServerGroupUp {
		t.Errorf("server group = %+v", sg)
	}
	after := f.deployment(t, "checkout")
	if after.Labels[LabelServerGroup] != "checkout-v001" || after.Annotations[AnnotationAdopted] != "true" {
		t.Errorf("Deployment labels %v annotations %v", after.Labels, after.Annotations)
	}
	if len(after.Spec.Template.Labels) != 1 {
		t.Errorf("the pod template changed: %v", after.Spec.Template.Labels)
	}
	pods, _ := f.kube.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{LabelSelector: "app=checkout"})
	for _, p := range pods.Items {
		if p.Labels[LabelServerGroup] != "checkout-v001" || p.Labels[LabelEnabled] != "true" || p.Labels["app"] != "checkout" {
			t.Errorf("pod %s labels %v", p.Name, p.Labels)
		}
	}
	if _, err := f.p.Adopt(ctx, testApp(), "checkout", false); err != nil {
		t.Errorf("adopting again: %v", err)
	}
	// The adopted group is found by its server group name from now on.
	if err := f.p.Resize(ctx, "checkout-v001", 3); err != nil {
		t.Fatal(err)
	}
	if r := *f.deployment(t, "checkout").Spec.Replicas; r != 3 {
		t.Errorf("replicas = %d", r)
	}
}

func TestAdoptRefusesConflictingSelector(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	if _, err := f.kube.AppsV1().Deployments("shop").Create(ctx, legacyDeployment(map[string]string{LabelApp: "checkout-web"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := f.p.Adopt(ctx, testApp(), "checkout", false)
	if err == nil || !strings.Contains(err.Error(), "takes them out of their ReplicaSet") {
		t.Fatalf("err = %v", err)
	}
}

// An unavailable Deployment is not adopted: its pods would join traffic
// without serving. The error carries the Deployment's own words, and
// nothing is changed.
func TestAdoptRefusesAnUnavailableDeployment(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	legacy := legacyDeployment(map[string]string{"app": "checkout"})
	legacy.Status = appsv1.DeploymentStatus{Replicas: 2, Conditions: []appsv1.DeploymentCondition{{
		Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: "exceeded quota: compute",
	}}}
	d, err := f.kube.AppsV1().Deployments("shop").Create(ctx, legacy, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.addPods(t, d, 1, false)
	_, err = f.p.Adopt(ctx, testApp(), "checkout", false)
	if err == nil || !strings.Contains(err.Error(), "is not available") || !strings.Contains(err.Error(), "exceeded quota") {
		t.Fatalf("err = %v", err)
	}
	if after := f.deployment(t, "checkout"); after.Labels[LabelServerGroup] != "" || after.Annotations[AnnotationAdopted] != "" {
		t.Errorf("a refused adoption changed the Deployment: labels %v annotations %v", after.Labels, after.Annotations)
	}
}
