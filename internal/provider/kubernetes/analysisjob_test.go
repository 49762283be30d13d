package kubernetes_test

import (
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/test/k8senv"
)

// asServiceAccount is a bundle whose provider acts as the identity
// docs/kubernetes-rbac.yaml creates, so RBAC applies to the code under test.
func smokeJob(name string, exitCode string) kubernetes.AnalysisJob {
	spec := batchv1.JobSpec{
		BackoffLimit: new(int32(0)),
		Template:     corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "smoke", Image: "curlimages/curl", Args: []string{"http://checkout-v001/healthz"}}}}},
	}
	if exitCode != "" {
		spec.Template.Annotations = map[string]string{k8senv.AnnotationExitCode: exitCode}
	}
	return kubernetes.AnalysisJob{Name: name, App: "checkout", ServerGroup: "checkout-v001", Execution: "exec-1", Stage: "deploy prod", Check: "smoke", Spec: spec}
}

// await calls RunAnalysisJob (as the stage does on each wake-up) until the Job ends.
func (b bundle) await(t *testing.T, j kubernetes.AnalysisJob) kubernetes.JobState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := b.p.RunAnalysisJob(b.ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		if st.Done {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("Job %s did not finish: %s", j.Name, st.Reason)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A job check's Job, run as the documented ServiceAccount on a real API
// server: created once however often it is asked for, labelled and owned
// by the canary's Deployment, with a TTL; its success is a success.
func TestAnalysisJobSucceeds(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	b.up(t, app(), group(1, "v1", 1))
	name := kubernetes.AnalysisJobName("checkout", "smoke", "exec-1", "deploy prod", "1", "0", "0")
	j := smokeJob(name, "")
	st := b.await(t, j)
	if !st.Succeeded {
		t.Fatalf("want success, got %+v", st)
	}
	if again, err := b.p.RunAnalysisJob(b.ctx, j); err != nil || !again.Succeeded {
		t.Fatalf("asking again: %+v %v", again, err)
	}
	jobs, err := b.env.Clientset.BatchV1().Jobs(b.ns).List(b.ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelCheck + "=smoke"})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Items) != 1 {
		t.Fatalf("%d Jobs, want exactly one however often it was asked for", len(jobs.Items))
	}
	job := jobs.Items[0]
	if o := job.OwnerReferences; len(o) != 1 || o[0].Kind != "Deployment" || o[0].Name != "checkout-v001" {
		t.Errorf("owners %+v, want the canary's Deployment", o)
	}
	if ttl := job.Spec.TTLSecondsAfterFinished; ttl == nil || *ttl != int32(kubernetes.AnalysisJobTTL/time.Second) {
		t.Errorf("ttlSecondsAfterFinished %v, want %v", ttl, kubernetes.AnalysisJobTTL)
	}
	if job.Labels[kubernetes.LabelManagedBy] != kubernetes.ManagedBy || job.Annotations[kubernetes.AnnotationStage] != "deploy prod" {
		t.Errorf("labels %v annotations %v", job.Labels, job.Annotations)
	}
}

// A Job whose container exits non-zero fails, with the container, its exit
// code and reason read from the pod (the pod's failure is simulated by the
// kwok stage of k8senv; kwok runs no containers).
func TestAnalysisJobFailsWithExitCode(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	b.up(t, app(), group(1, "v1", 1))
	st := b.await(t, smokeJob("checkout-smoke-fail", "3"))
	if st.Succeeded || st.ExitCode == nil || *st.ExitCode != 3 || st.Container != "smoke" || !strings.Contains(st.ExitReason, "Error") {
		t.Fatalf("want a failure with exit code 3 of container smoke, got %+v (exit %v)", st, st.ExitCode)
	}
	if !strings.Contains(st.Reason, "BackoffLimitExceeded") {
		t.Errorf("reason %q, want the Job's condition", st.Reason)
	}
}

// A Job that runs out of time is deleted, pods and all; deleting one that
// is gone is fine. Without the canary's Deployment the Job has no owner.
func TestAnalysisJobDelete(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	j := smokeJob("checkout-smoke-timeout", "")
	j.Spec.Template.Spec.NodeSelector = map[string]string{"nowhere": "true"} // never scheduled: runs forever
	st, err := b.p.RunAnalysisJob(b.ctx, j)
	if err != nil || st.Done {
		t.Fatalf("%+v %v", st, err)
	}
	if err := b.p.DeleteAnalysisJob(b.ctx, j.Name); err != nil {
		t.Fatal(err)
	}
	if err := b.p.DeleteAnalysisJob(b.ctx, j.Name); err != nil {
		t.Fatalf("deleting a Job already gone: %v", err)
	}
}
