package kubernetes

import (
	"encoding/json"
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	sigsjson "sigs.k8s.io/json"

	"github.com/gennaker/gennaker/internal/model"
)

// JobSpecError is a problem at a field of a job check's Job spec (Path
// relative to the spec, such as "template.spec.containers").
type JobSpecError struct{ Path, Msg string }

func (e *JobSpecError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// JobSpec reads a job check's spec as a batch/v1 JobSpec, strictly: an
// unknown field, a wrong type, no containers or a restartPolicy a Job cannot
// have is an error naming the field. An unset restartPolicy becomes Never.
func JobSpec(obj model.Object) (batchv1.JobSpec, error) {
	var spec batchv1.JobSpec
	b, err := json.Marshal(obj)
	if err != nil {
		return spec, &JobSpecError{Msg: err.Error()}
	}
	strict, err := sigsjson.UnmarshalStrict(b, &spec)
	if err != nil {
		return spec, &JobSpecError{Msg: fmt.Sprintf("not a batch/v1 JobSpec: %v", err)}
	}
	if len(strict) > 0 {
		msg := strict[0].Error()
		path := ""
		if _, after, ok := strings.Cut(msg, `unknown field "`); ok {
			path, _, _ = strings.Cut(after, `"`)
		}
		return spec, &JobSpecError{Path: path, Msg: fmt.Sprintf("%s: a Job spec has no such field (batch/v1 JobSpec; check the spelling and the indentation)", msg)}
	}
	ps := &spec.Template.Spec
	if len(ps.Containers) == 0 {
		return spec, &JobSpecError{Path: "template.spec.containers", Msg: "a Job needs at least one container: write template: {spec: {containers: [{name: smoke, image: IMAGE, args: [...]}]}}"}
	}
	for i, c := range ps.Containers {
		if c.Image == "" {
			return spec, &JobSpecError{Path: fmt.Sprintf("template.spec.containers[%d].image", i), Msg: "the container needs an image"}
		}
	}
	switch ps.RestartPolicy {
	case "":
		ps.RestartPolicy = "Never"
	case "Never", "OnFailure":
	default:
		return spec, &JobSpecError{Path: "template.spec.restartPolicy", Msg: fmt.Sprintf("%q cannot run in a Job: use Never (the default here) or OnFailure", ps.RestartPolicy)}
	}
	if spec.Selector != nil || spec.ManualSelector != nil {
		return spec, &JobSpecError{Path: "selector", Msg: "the Job controller picks the selector: drop selector and manualSelector"}
	}
	return spec, nil
}
