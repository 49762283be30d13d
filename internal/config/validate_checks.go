package config

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
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
	if _, err := kubernetes.JobSpec(j.Spec); err != nil {
		var fe *kubernetes.JobSpecError
		if errors.As(err, &fe) {
			return []Error{doc.errorf(joinPath(sp, fe.Path), "%s", fe.Msg)}
		}
		return []Error{doc.errorf(sp, "%v", err)}
	}
	return nil
}
