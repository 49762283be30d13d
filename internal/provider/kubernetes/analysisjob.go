package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Labels and annotations of the Jobs of analysis job checks.
const (
	// LabelCheck on a Job names the analysis check it measures.
	LabelCheck = "gennaker.dev/check"
	// LabelExecution on a Job holds the execution ID (sanitized; the
	// annotation of the same name holds it as it is).
	LabelExecution = "gennaker.dev/execution"
	// AnnotationStage on a Job names the pipeline stage that created it.
	AnnotationStage = "gennaker.dev/stage"
)

// Defaults of analysis Jobs.
const (
	// AnalysisJobTTL is how long a finished Job stays for inspection before
	// the TTL controller deletes it (and its pods).
	AnalysisJobTTL = time.Hour
)

// AnalysisJob is a Job one measurement of a job check runs.
type AnalysisJob struct {
	// Name is the Job's name (AnalysisJobName): the same for every call of
	// one measurement, so a retried call finds the Job instead of making a second.
	Name        string
	App         string
	ServerGroup string // the canary's; its Deployment owns the Job
	Execution   string
	Stage       string
	Check       string
	Spec        batchv1.JobSpec
}

// JobState is what a Job has come to.
type JobState struct {
	// Done: the Job finished, Succeeded says how.
	Done      bool
	Succeeded bool
	// Reason is the Job's own word for how it finished (its condition's
	// reason and message), or what it waits for.
	Reason string
	// Container, ExitCode and ExitReason describe the container that failed
	// (a failed Job whose pod is still there).
	Container  string
	ExitCode   *int32
	ExitReason string
}

// AnalysisJobName derives a Job's name from what identifies one
// measurement (execution, stage, step, interval, check, ...): readable app
// and check, then a hash of everything, at most 63 characters (the pods'
// job-name label).
func AnalysisJobName(app, check string, identity ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(append([]string{app, check}, identity...), "\x00")))
	hash := hex.EncodeToString(sum[:])[:10]
	prefix := dnsLabel(app + "-" + check)
	if len(prefix) > 63-len(hash)-1 {
		prefix = strings.TrimRight(prefix[:63-len(hash)-1], "-")
	}
	if prefix == "" {
		return "check-" + hash
	}
	return prefix + "-" + hash
}

// dnsLabel lowercases s and turns what a DNS label cannot hold into '-'.
func dnsLabel(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	return strings.Trim(string(b), "-")
}

// RunAnalysisJob makes sure the Job of one measurement exists and says how
// it stands. The first call creates it (labelled for gennaker, owned by the
// canary's Deployment so that destroying the canary removes it, deleted an
// hour after it finishes); later calls, and a call retried after a crash,
// find it by name. It makes one attempt per call: the caller comes back.
func (p *Provider) RunAnalysisJob(ctx context.Context, j AnalysisJob) (JobState, error) {
	job, err := p.kube.BatchV1().Jobs(p.ns).Get(ctx, j.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		var obj *batchv1.Job
		if obj, err = p.analysisJob(ctx, j); err != nil {
			return JobState{}, err
		}
		job, err = p.kube.BatchV1().Jobs(p.ns).Create(ctx, obj, metav1.CreateOptions{FieldManager: ManagedBy})
		if apierrors.IsAlreadyExists(err) {
			job, err = p.kube.BatchV1().Jobs(p.ns).Get(ctx, j.Name, metav1.GetOptions{})
		}
	}
	if err != nil {
		return JobState{}, fmt.Errorf("kubernetes: Job %s/%s: %w", p.ns, j.Name, err)
	}
	st := JobOutcome(job)
	if st.Done && !st.Succeeded {
		p.failedContainer(ctx, job, &st)
	}
	return st, nil
}

// analysisJob is the Job object of j.
func (p *Provider) analysisJob(ctx context.Context, j AnalysisJob) (*batchv1.Job, error) {
	lbl := map[string]string{
		LabelApp: j.App, LabelManagedBy: ManagedBy, LabelServerGroup: j.ServerGroup,
		LabelCheck: sanitizeLabelValue(j.Check), LabelExecution: sanitizeLabelValue(j.Execution),
	}
	spec := *j.Spec.DeepCopy()
	ttl := int32(AnalysisJobTTL / time.Second)
	if spec.TTLSecondsAfterFinished == nil {
		spec.TTLSecondsAfterFinished = &ttl
	}
	if spec.Template.Spec.RestartPolicy == "" {
		spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	}
	if spec.Template.Labels == nil {
		spec.Template.Labels = map[string]string{}
	}
	for k, v := range lbl {
		spec.Template.Labels[k] = v
	}
	obj := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: j.Name, Namespace: p.ns, Labels: lbl,
			Annotations: map[string]string{LabelExecution: j.Execution, AnnotationStage: j.Stage, LabelCheck: j.Check},
		},
		Spec: spec,
	}
	// The canary's Deployment owns the Job: when an abort destroys the
	// canary, the garbage collector removes a Job still running for it.
	d, err := p.kube.AppsV1().Deployments(p.ns).Get(ctx, j.ServerGroup, metav1.GetOptions{})
	switch {
	case err == nil:
		obj.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID}}
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("kubernetes: Deployment %s/%s (the owner of analysis Job %s): %w", p.ns, j.ServerGroup, j.Name, err)
	}
	return obj, nil
}

// JobOutcome reads a Job's conditions: Complete (or SuccessCriteriaMet)
// succeeded, Failed failed; otherwise it is still running.
func JobOutcome(job *batchv1.Job) JobState {
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete, batchv1.JobSuccessCriteriaMet:
			return JobState{Done: true, Succeeded: true, Reason: joinReason(string(c.Type), c.Message)}
		case batchv1.JobFailed:
			return JobState{Done: true, Reason: joinReason(c.Reason, c.Message)}
		}
	}
	s := job.Status
	return JobState{Reason: fmt.Sprintf("running: %d active, %d succeeded, %d failed pods", s.Active, s.Succeeded, s.Failed)}
}

// failedContainer fills in the first container of the Job's pods that
// ended with a non-zero exit code; a pod already gone leaves it empty.
func (p *Provider) failedContainer(ctx context.Context, job *batchv1.Job, st *JobState) {
	sel := labels.Set{batchv1.JobNameLabel: job.Name}.String()
	pods, err := p.kube.CoreV1().Pods(p.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		p.log.Warn("kubernetes: reading the pods of a failed analysis Job", "job", job.Name, "err", err)
		return
	}
	for _, pod := range pods.Items {
		for _, cs := range append(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses...) {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				code := t.ExitCode
				st.Container, st.ExitCode, st.ExitReason = cs.Name, &code, joinReason(t.Reason, t.Message)
				return
			}
		}
	}
}

// DeleteAnalysisJob deletes a Job and its pods (a measurement that ran out
// of time). A Job already gone is fine.
func (p *Provider) DeleteAnalysisJob(ctx context.Context, name string) error {
	bg := metav1.DeletePropagationBackground
	err := p.kube.BatchV1().Jobs(p.ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("kubernetes: delete Job %s/%s: %w", p.ns, name, err)
	}
	return nil
}

// TransientError reports whether an API error is worth trying again later
// (server errors, timeouts, throttling, an API server restarting).
func TransientError(err error) bool { return transient(err) }
