package kubernetes_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// appsv1Deployment is a Deployment a team made without gennaker.
type appsv1Deployment struct {
	Name     string
	Replicas int32
	Labels   map[string]string
	Image    string
}

func (l *appsv1Deployment) create(b bundle) error {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: l.Name, Labels: l.Labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &l.Replicas,
			Selector: &metav1.LabelSelector{MatchLabels: l.Labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l.Labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: l.Image}}},
			},
		},
	}
	_, err := b.env.Clientset.AppsV1().Deployments(b.ns).Create(b.ctx, d, metav1.CreateOptions{})
	return err
}

func (b bundle) legacyPods(t *testing.T, sel map[string]string) map[string]corev1.Pod {
	t.Helper()
	list, err := b.env.Clientset.CoreV1().Pods(b.ns).List(b.ctx, metav1.ListOptions{LabelSelector: labels.Set(sel).String()})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]corev1.Pod{}
	for _, p := range list.Items {
		out[p.Name] = p
	}
	return out
}
