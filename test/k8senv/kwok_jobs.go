package k8senv

import (
	"os"
	"path/filepath"
)

// AnnotationExitCode on a Job's pod template makes its pods fail with that
// exit code on the fake nodes (kwok runs no containers): the way a test
// simulates a Job whose container exits non-zero. Pods of Jobs without it
// succeed with exit code 0, as kwok's own pod-complete stage does.
const AnnotationExitCode = "gennaker.dev/kwok-exit-code"

// kwokJobStages replace kwok's pod-complete stage: Job pods without
// AnnotationExitCode complete with exit code 0, those with it fail with it.
// The selectors exclude each other, so which stage a pod takes is never
// left to kwok's weighted choice.
var kwokJobStages = map[string]string{
	"job-pod-succeed.yaml": `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: gennaker-job-pod-succeed
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Running']
    - key: '.metadata.ownerReferences.[].kind'
      operator: 'In'
      values: ['Job']
    - key: '.metadata.annotations["` + AnnotationExitCode + `"]'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range $index, $item := .spec.containers }}
      - image: {{ $item.image | Quote }}
        name: {{ $item.name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ $now | Quote }}
            reason: Completed
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Succeeded
`,
	"job-pod-fail.yaml": `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: gennaker-job-pod-fail
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Running']
    - key: '.metadata.ownerReferences.[].kind'
      operator: 'In'
      values: ['Job']
    - key: '.metadata.annotations["` + AnnotationExitCode + `"]'
      operator: 'Exists'
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $code := index .metadata.annotations "` + AnnotationExitCode + `" }}
      containerStatuses:
      {{ range $index, $item := .spec.containers }}
      - image: {{ $item.image | Quote }}
        name: {{ $item.name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: {{ $code }}
            finishedAt: {{ $now | Quote }}
            reason: Error
            message: "simulated by k8senv (` + AnnotationExitCode + `)"
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Failed
`,
}

// writeKwokJobStages writes kwokJobStages into dir and returns their paths.
func writeKwokJobStages(dir string) ([]string, error) {
	var paths []string
	for _, name := range []string{"job-pod-succeed.yaml", "job-pod-fail.yaml"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(kwokJobStages[name]), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
