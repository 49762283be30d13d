package kubernetes

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WaitHealthy blocks until the server group's rollout is complete: the
// Deployment controller has seen its latest spec (observedGeneration) and
// every replica is updated and available. It fails when the Deployment
// reports ProgressDeadlineExceeded or ReplicaFailure, or when its startup
// timeout has passed, with the reason the pods give.
func (p *Provider) WaitHealthy(ctx context.Context, group string) error {
	return p.awaitRollout(ctx, group, 0, p.syncGroupPods)
}

// CheckRollout looks once at the server group's rollout, as WaitHealthy
// does on each of its looks (new pods join traffic as they appear): true
// when it is complete; an error when the Deployment reports it failed, or
// when waited (how long the caller has been waiting, from its own stored
// start) is past the startup timeout; false otherwise, to look again later.
func (p *Provider) CheckRollout(ctx context.Context, group string, waited time.Duration) (bool, error) {
	d, err := p.deployment(ctx, group)
	if err != nil {
		return false, err
	}
	if err := p.syncGroupPods(ctx, d); err != nil {
		return false, err
	}
	if rolledOut(d) {
		return true, nil
	}
	failed := failedCondition(d)
	if timeout := startupTimeout(d); failed == "" && waited > timeout {
		failed = fmt.Sprintf("not available after %s (healthCheck.startupTimeout)", timeout)
	}
	if failed != "" {
		return false, p.unhealthy(ctx, d, group, failed)
	}
	return false, nil
}

// awaitRollout polls the Deployment found by name (or server-group label)
// until its rollout is complete, calling each on every look: new pods join
// traffic as they appear. A zero timeout means the Deployment's own startup
// timeout annotation.
func (p *Provider) awaitRollout(ctx context.Context, name string, timeout time.Duration, each func(context.Context, *appsv1.Deployment) error) error {
	start := time.Now()
	for {
		d, err := p.deployment(ctx, name)
		if err != nil {
			return err
		}
		if timeout == 0 {
			timeout = startupTimeout(d)
		}
		if err := each(ctx, d); err != nil {
			return err
		}
		if rolledOut(d) {
			p.log.Info("server group available", "deployment", d.Name, "replicas", replicasOf(d), "took", time.Since(start).Round(time.Millisecond))
			return nil
		}
		failed := failedCondition(d)
		if failed == "" && time.Since(start) > timeout {
			failed = fmt.Sprintf("not available after %s (healthCheck.startupTimeout)", timeout)
		}
		if failed != "" {
			return p.unhealthy(ctx, d, name, failed)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to be available: %w", name, ctx.Err())
		case <-time.After(p.poll):
		}
	}
}

func startupTimeout(d *appsv1.Deployment) time.Duration {
	if t, err := time.ParseDuration(d.Annotations[AnnotationStartupTimeout]); err == nil && t > 0 {
		return t + 5*time.Second // the Deployment's progress deadline usually speaks first
	}
	return 65 * time.Second
}

// rolledOut reports whether a Deployment's latest spec is fully available.
func rolledOut(d *appsv1.Deployment) bool {
	want := replicasOf(d)
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want &&
		s.AvailableReplicas == want && s.Replicas == want
}

// failedCondition returns the Deployment's own word that its rollout failed, or "".
func failedCondition(d *appsv1.Deployment) string {
	for _, c := range d.Status.Conditions {
		switch {
		case c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded":
			return "ProgressDeadlineExceeded: " + c.Message
		case c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue:
			return "ReplicaFailure: " + c.Reason + ": " + c.Message
		}
	}
	return ""
}

func (p *Provider) unhealthy(ctx context.Context, d *appsv1.Deployment, group, failed string) error {
	e := &UnhealthyError{ServerGroup: group, Ready: d.Status.AvailableReplicas, Desired: replicasOf(d)}
	pods, events, err := p.podsAndEvents(ctx, d)
	reason := Diagnose(pods, events)
	switch {
	case reason != "":
		e.Reason = reason + " (" + failed + ")"
	case err != nil:
		e.Reason = failed + " (could not read its pods: " + err.Error() + ")"
	default:
		e.Reason = failed
	}
	return e
}

func (p *Provider) podsAndEvents(ctx context.Context, d *appsv1.Deployment) ([]corev1.Pod, []corev1.Event, error) {
	pods, err := p.groupPods(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	var events *corev1.EventList
	err = p.retry(ctx, p.what("list", "Events", d.Name), func(ctx context.Context) error {
		var err error
		events, err = p.kube.CoreV1().Events(p.ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Pod"})
		return err
	})
	if err != nil {
		return pods, nil, err
	}
	return pods, events.Items, nil
}

// Diagnose explains, in the pods' own words, why pods are not ready: the
// first unready pod (by name) that has something to say. It quotes the
// scheduler's message, a container's waiting or last-terminated reason and
// message, and the pod's latest warning event.
func Diagnose(pods []corev1.Pod, events []corev1.Event) string {
	pods = slices.Clone(pods)
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	var fallback string
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil || podReady(pod) {
			continue
		}
		status := podProblem(pod)
		var event string
		if w := latestWarning(pod.Name, events); w != nil {
			msg := strings.TrimSpace(w.Message)
			if msg == "" || !strings.Contains(status, msg) { // unless it repeats what the status says
				event = joinReason(w.Reason, msg)
			}
		}
		switch {
		case status != "" && event != "":
			return fmt.Sprintf("pod %s: %s; event %s", pod.Name, status, event)
		case status != "":
			return fmt.Sprintf("pod %s: %s", pod.Name, status)
		case event != "":
			return fmt.Sprintf("pod %s: event %s", pod.Name, event)
		case fallback == "":
			fallback = fmt.Sprintf("pod %s: not ready (phase %s)", pod.Name, pod.Status.Phase)
		}
	}
	return fallback
}

func podReady(pod corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podProblem returns a pod's own account of what keeps it from running, or "".
func podProblem(pod corev1.Pod) string {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return joinReason(c.Reason, c.Message)
		}
	}
	statuses := append(slices.Clone(pod.Status.InitContainerStatuses), pod.Status.ContainerStatuses...)
	for _, cs := range statuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
			msg := fmt.Sprintf("container %s: %s", cs.Name, joinReason(w.Reason, w.Message))
			if t := cs.LastTerminationState.Terminated; t != nil {
				msg += fmt.Sprintf(" (last exit code %d: %s)", t.ExitCode, joinReason(t.Reason, t.Message))
			}
			return msg
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			return fmt.Sprintf("container %s: exited with code %d: %s", cs.Name, t.ExitCode, joinReason(t.Reason, t.Message))
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.ContainersReady && c.Status == corev1.ConditionFalse && c.Message != "" {
			return joinReason(c.Reason, c.Message)
		}
	}
	return ""
}

func joinReason(reason, msg string) string {
	switch {
	case reason == "":
		return msg
	case msg == "":
		return reason
	}
	return reason + ": " + msg
}

// latestWarning returns the newest Warning event about the pod, or nil.
func latestWarning(pod string, events []corev1.Event) *corev1.Event {
	var best *corev1.Event
	for i := range events {
		e := &events[i]
		if e.Type != corev1.EventTypeWarning || e.InvolvedObject.Name != pod {
			continue
		}
		if best == nil || eventTime(e).After(eventTime(best)) {
			best = e
		}
	}
	return best
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}
