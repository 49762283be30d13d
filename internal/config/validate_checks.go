package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	sigsjson "sigs.k8s.io/json"

	"encoding/json"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/model"
)

// checkAnalysisChecks checks an analysis config's web and job checks: their
// conditions compile, the URL and jsonPath parse, header secrets are ones
// the server can read, and a Job spec is a batch/v1 JobSpec gennaker can run.
func checkAnalysisChecks(doc *Document, ap string, a model.AnalysisSpec) []Error {
	var errs []Error
	for _, p := range a.CheckProblems() {
		if strings.HasSuffix(p.Field, "]") {
			continue // a check with neither or both of web, job: the decoder said so
		}
		errs = append(errs, doc.errorf(joinPath(ap, p.Field), "%s", p.Message))
	}
	for i, c := range a.Checks {
		cp := indexPath(joinPath(ap, "checks"), i)
		for _, cond := range []struct{ field, expr string }{{"successCondition", c.SuccessCondition}, {"failureCondition", c.FailureCondition}} {
			if cond.expr == "" {
				continue
			}
			if _, err := analysis.CompileCondition(cond.expr); err != nil {
				errs = append(errs, doc.errorf(cp+"."+cond.field, "%s", strings.TrimPrefix(err.Error(), analysis.ErrCondition.Error()+": ")))
			}
		}
		if w := c.Web; w != nil {
			errs = append(errs, checkWebCheck(doc, cp+".web", w)...)
		}
		if j := c.Job; j != nil && j.Spec != nil && c.Kind() == model.CheckJob {
			errs = append(errs, checkJobCheck(doc, cp+".job", j)...)
		}
	}
	return errs
}

func checkWebCheck(doc *Document, wp string, w *model.WebCheck) []Error {
	var errs []Error
	rendered := source.Render(w.URL, source.Scope{Application: "app", Environment: "env", ServerGroup: "app-v001", Version: "v1", Role: "canary"})
	if u, err := url.Parse(rendered); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, doc.errorf(wp+".url", "%q is not an http:// or https:// URL: write one such as https://slo.example.com/api/{{app}}/{{serverGroup}}", w.URL))
	}
	if err := analysis.ParseJSONPath(w.JSONPath); err != nil {
		errs = append(errs, doc.errorf(wp+".jsonPath", "%s", strings.TrimPrefix(err.Error(), analysis.ErrJSONPath.Error()+": ")))
	}
	hook := &model.WebhookStage{URL: model.Inline(w.URL), Headers: w.Headers, Body: model.Inline(w.Body)}
	errs = append(errs, checkWebhookSecrets(doc, wp, hook)...)
	return errs
}

// checkJobCheck decodes the Job spec strictly, pointing at the field that
// is wrong.
func checkJobCheck(doc *Document, jp string, j *model.JobCheck) []Error {
	sp := jp + ".spec"
	spec, err := JobSpec(j.Spec)
	if err != nil {
		var fe *jobFieldError
		if errors.As(err, &fe) {
			return []Error{doc.errorf(joinPath(sp, fe.path), "%s", fe.msg)}
		}
		return []Error{doc.errorf(sp, "%v", err)}
	}
	_ = spec
	return nil
}

// jobFieldError is a problem at a field of a Job spec (path relative to it).
type jobFieldError struct{ path, msg string }

func (e *jobFieldError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

// JobSpec reads a job check's spec as a batch/v1 JobSpec, strictly: an
// unknown field, a wrong type, no containers or a restartPolicy a Job cannot
// have is an error naming the field. An unset restartPolicy becomes Never.
func JobSpec(obj model.Object) (batchv1.JobSpec, error) {
	var spec batchv1.JobSpec
	b, err := json.Marshal(obj)
	if err != nil {
		return spec, &jobFieldError{msg: err.Error()}
	}
	strict, err := sigsjson.UnmarshalStrict(b, &spec)
	if err != nil {
		return spec, &jobFieldError{msg: fmt.Sprintf("not a batch/v1 JobSpec: %v", err)}
	}
	if len(strict) > 0 {
		msg := strict[0].Error()
		path := ""
		if _, after, ok := strings.Cut(msg, `unknown field "`); ok {
			path, _, _ = strings.Cut(after, `"`)
		}
		return spec, &jobFieldError{path: path, msg: fmt.Sprintf("%s: a Job spec has no such field (batch/v1 JobSpec; check the spelling and the indentation)", msg)}
	}
	ps := &spec.Template.Spec
	if len(ps.Containers) == 0 {
		return spec, &jobFieldError{path: "template.spec.containers", msg: "a Job needs at least one container: write template: {spec: {containers: [{name: smoke, image: IMAGE, args: [...]}]}}"}
	}
	for i, c := range ps.Containers {
		if c.Image == "" {
			return spec, &jobFieldError{path: fmt.Sprintf("template.spec.containers[%d].image", i), msg: "the container needs an image"}
		}
	}
	switch ps.RestartPolicy {
	case "":
		ps.RestartPolicy = "Never"
	case "Never", "OnFailure":
	default:
		return spec, &jobFieldError{path: "template.spec.restartPolicy", msg: fmt.Sprintf("%q cannot run in a Job: use Never (the default here) or OnFailure", ps.RestartPolicy)}
	}
	if spec.Selector != nil || spec.ManualSelector != nil {
		return spec, &jobFieldError{path: "selector", msg: "the Job controller picks the selector: drop selector and manualSelector"}
	}
	return spec, nil
}
