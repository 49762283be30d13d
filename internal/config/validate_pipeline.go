package config

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"

	"github.com/gennaker/gennaker/internal/model"
)

// MaxRetries is the largest retries a stage may ask for.
const MaxRetries = 10

var paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validatePipeline(doc *Document, p *model.Pipeline) []Error {
	var errs []Error
	seen := map[string]int{}
	for i, prm := range p.Parameters {
		path := indexPath("spec.parameters", i) + ".name"
		switch first, dup := seen[prm.Name]; {
		case !doc.pos.has(path):
		case !paramName.MatchString(prm.Name):
			errs = append(errs, doc.errorf(path, "%q is not a parameter name: use letters, digits and '_', starting with a letter, so {{params.NAME}} and params.NAME can refer to it", prm.Name))
		case dup:
			errs = append(errs, doc.errorf(path, "parameter %q is declared twice (first at spec.parameters[%d]): rename or remove one", prm.Name, first))
		default:
			seen[prm.Name] = i
		}
	}
	if doc.pos.has("spec.stages") && len(p.Stages) == 0 {
		errs = append(errs, doc.errorf("spec.stages", "a pipeline needs at least one stage"))
	}
	stages := map[string]int{}
	for i, s := range p.Stages {
		path := indexPath("spec.stages", i)
		if doc.pos.has(path+".name") && s.Name == "" {
			errs = append(errs, doc.errorf(path+".name", "the stage name is empty: name it, such as deploy-staging"))
		}
		if first, dup := stages[s.Name]; dup && s.Name != "" {
			errs = append(errs, doc.errorf(path+".name", "stage %q is declared twice (first at spec.stages[%d]): stage names must be unique", s.Name, first))
		} else if s.Name != "" {
			stages[s.Name] = i
		}
		errs = append(errs, validateStage(doc, path, s)...)
	}
	errs = append(errs, validateNeeds(doc, p, stages)...)
	return append(errs, validateTriggers(doc, p)...) // validate_triggers.go
}

func validateStage(doc *Document, path string, s model.StageSpec) []Error {
	var errs []Error
	if s.Retries < 0 || s.Retries > MaxRetries {
		errs = append(errs, doc.errorf(path+".retries", "%d retries: use 0 to %d", s.Retries, MaxRetries))
	}
	if s.If != "" {
		if msg := checkCondition(s.If); msg != "" {
			errs = append(errs, doc.errorf(path+".if", "%s", msg))
		}
	}
	switch {
	case s.Webhook != nil:
		errs = append(errs, validateWebhook(doc, path+".webhook", s.Webhook)...)
	case s.Deploy != nil:
		errs = append(errs, validateStrategy(doc, path+".deploy.strategy", s.Deploy.Strategy)...)
		errs = append(errs, validateWaves(doc, path+".deploy", s.Deploy)...)
	case s.SLOGate != nil:
		errs = append(errs, validateSLOGate(doc, path+".sloGate", s.SLOGate)...) // validate_slo.go
	}
	return errs
}

var httpMethod = regexp.MustCompile(`^[A-Z]+$`)

func validateWebhook(doc *Document, path string, w *model.WebhookStage) []Error {
	var errs []Error
	if !w.URL.IsSecret() && (w.URL.Value != "" || doc.pos.has(path+".url")) {
		if msg := checkWebhookURL(w.URL.Value); msg != "" {
			errs = append(errs, doc.errorf(path+".url", "%s", msg))
		}
	}
	if !w.StatusURL.IsSecret() && w.StatusURL.Value != "" {
		if msg := checkWebhookURL(w.StatusURL.Value); msg != "" {
			errs = append(errs, doc.errorf(path+".statusUrl", "%s", msg))
		}
	}
	if w.Method != "" && !httpMethod.MatchString(w.Method) {
		errs = append(errs, doc.errorf(path+".method", "%q is not an HTTP method: write it in capitals, such as POST", w.Method))
	}
	if w.StatusURL.IsZero() {
		for _, f := range []string{"pollInterval", "statusField", "successValues", "failureValues"} {
			if doc.pos.has(path + "." + f) {
				errs = append(errs, doc.errorf(path+"."+f, "%s only applies when statusUrl is set: add statusUrl or remove it", f))
			}
		}
	}
	return append(errs, checkWebhookSecrets(doc, path, w)...) // secret.go
}

// checkWebhookURL returns what is wrong with a webhook URL as written, or
// "": a placeholder in its scheme or host[:port] (whoever runs the pipeline
// would pick where the call and its headers go), or no absolute http(s) URL.
func checkWebhookURL(raw string) string {
	if origin := model.URLOrigin(raw); model.HasPlaceholder(origin) {
		return fmt.Sprintf("%q has a placeholder in its scheme or host (%s): write them as they are; {{params.NAME}} may fill the path and query only, so a run cannot send the call, and its headers, to another host", raw, origin)
	}
	return checkURL(raw)
}

// checkURL returns what is wrong with a webhook URL, or "".
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http(s) URL: write one such as https://ci.example.com/hooks/deploy", raw)
	}
	return ""
}

func validateStrategy(doc *Document, path string, st model.Strategy) []Error {
	var errs []Error
	if st.MaxRemaining < 0 {
		errs = append(errs, doc.errorf(path+".maxRemaining", "%d is negative: keep 0 or more server groups", st.MaxRemaining))
	}
	if st.BatchSize < 0 {
		errs = append(errs, doc.errorf(path+".batchSize", "%d is negative: replace 1 or more instances at a time", st.BatchSize))
	}
	if st.Type != model.StrategyCanary {
		if st.Canary != nil {
			errs = append(errs, doc.errorf(path+".canary", "canary settings need type: canary (this strategy is %s): set the type or remove them", cmp.Or(string(st.Type), string(DefaultStrategy))))
		}
		return errs
	}
	if st.Canary == nil {
		return append(errs, doc.errorf(path+".canary", "a canary strategy needs canary.steps, such as [{setWeight: 10}, {pause: {duration: 1m}}, {setWeight: 100}]"))
	}
	if len(st.Canary.Steps) == 0 && doc.pos.has(path+".canary.steps") {
		errs = append(errs, doc.errorf(path+".canary.steps", "a canary needs at least one step, such as {setWeight: 10}"))
	}
	for i, step := range st.Canary.Steps {
		sp := indexPath(path+".canary.steps", i)
		if w := step.SetWeight; w != nil && (*w < 0 || *w > 100) {
			errs = append(errs, doc.errorf(sp+".setWeight", "%d is not a percentage: use 0 to 100", *w))
		}
		if a := step.Analysis; a != nil && a.Intervals < 0 {
			errs = append(errs, doc.errorf(sp+".analysis.intervals", "%d is negative: run 1 or more intervals", a.Intervals))
		}
	}
	if a := st.Canary.Analysis; a != nil {
		errs = append(errs, checkAnalysisSpec(doc, path+".canary.analysis", *a)...)
	}
	return errs
}

// joinPath appends a field to a path ("" is the root).
func joinPath(path, field string) string {
	switch {
	case path == "":
		return field
	case field == "":
		return path
	}
	return path + "." + field
}
