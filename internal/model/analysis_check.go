package model

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// AnalysisCheck is a measurement with a verdict of its own, as Argo
// Rollouts' metrics are: no baseline to compare with, but conditions on a
// value (a web check: a JSON endpoint) or the outcome of a Kubernetes Job
// (a job check: its container's exit code). An analysis step measures every
// check once per judged interval; the limits say how many failed,
// inconclusive and erroneous measurements the step tolerates.
type AnalysisCheck struct {
	Name string `json:"name"`
	// Web GETs (or POSTs to) a URL and reads a JSON value from the answer.
	Web *WebCheck `json:"web,omitempty"`
	// Job runs a Kubernetes Job; its outcome is the measurement.
	Job *JobCheck `json:"job,omitempty"`
	// SuccessCondition and FailureCondition are CEL expressions over
	// `result`, the value a web check read (Argo Rollouts' semantics: with
	// both, neither true is inconclusive; with one, its negation is the
	// other). Job checks have none: the Job decides.
	SuccessCondition string `json:"successCondition,omitempty"`
	FailureCondition string `json:"failureCondition,omitempty"`
	// FailureLimit is how many failed measurements the step tolerates
	// (default 0: the first fails the step; -1: no limit, record only).
	FailureLimit int `json:"failureLimit,omitempty"`
	// InconclusiveLimit is how many inconclusive measurements the step
	// tolerates before it is inconclusive (default 0; -1: no limit).
	InconclusiveLimit int `json:"inconclusiveLimit,omitempty"`
	// ConsecutiveErrorLimit is how many measurements in a row may fail to
	// measure at all (unreachable, bad JSON, a Job that cannot start)
	// before the step is inconclusive (default 4, as Argo Rollouts).
	ConsecutiveErrorLimit *int `json:"consecutiveErrorLimit,omitempty"`
}

// WebCheck reads one value from an HTTP JSON endpoint.
type WebCheck struct {
	// URL may use the placeholders of metric queries ({{app}}, {{env}},
	// {{serverGroup}}, {{version}}, {{role}}, {{interval}}), for the canary.
	URL string `json:"url"`
	// Method is GET (default) or POST.
	Method string `json:"method,omitempty"`
	// Headers are sent with the request; values may be secretRefs (env or
	// file), resolved at each measurement and never recorded.
	Headers map[string]StringOrSecret `json:"headers,omitempty"`
	// Body is sent with POST (placeholders rendered).
	Body string `json:"body,omitempty"`
	// Timeout bounds one request, answer included; default 10s.
	Timeout Duration `json:"timeout,omitempty"`
	// JSONPath selects the value, in Kubernetes JSONPath as Argo Rollouts
	// writes it ({$.data.errorRate}); default the whole document.
	JSONPath string `json:"jsonPath,omitempty"`
}

// JobCheck runs a batch/v1 Job in the environment's namespace (Kubernetes
// environments only). The Job succeeding passes the measurement; failing
// fails it, with the failed container's exit code and reason recorded.
type JobCheck struct {
	// Spec is the Job's spec (batch/v1 JobSpec), written as in a Job
	// manifest. String values may use the placeholders of metric queries.
	Spec Object `json:"spec"`
	// Timeout bounds one Job from its creation; a Job still running then is
	// deleted and the measurement is an error. Default 10m.
	Timeout Duration `json:"timeout,omitempty"`
}

// Object is a free-form JSON object in config (a Kubernetes spec that
// gennaker passes on); its own schema is checked where it is used.
type Object map[string]any

// Defaults of AnalysisCheck.
const (
	// DefaultConsecutiveErrorLimit is Argo Rollouts' default.
	DefaultConsecutiveErrorLimit = 4
	// DefaultWebCheckTimeout bounds one web check request.
	DefaultWebCheckTimeout = 10 * time.Second
	// DefaultJobCheckTimeout bounds one job check's Job.
	DefaultJobCheckTimeout = 10 * time.Minute
	// NoLimit as a failureLimit or inconclusiveLimit tolerates any number.
	NoLimit = -1
)

// CheckKind names what a check measures with.
type CheckKind string

const (
	// CheckWeb reads a JSON endpoint.
	CheckWeb CheckKind = "web"
	// CheckJob runs a Kubernetes Job.
	CheckJob CheckKind = "job"
)

// Kind is the check's kind ("" when it has none or both).
func (c AnalysisCheck) Kind() CheckKind {
	switch {
	case c.Web != nil && c.Job == nil:
		return CheckWeb
	case c.Job != nil && c.Web == nil:
		return CheckJob
	}
	return ""
}

// ErrorLimit is the consecutive-error limit with its default.
func (c AnalysisCheck) ErrorLimit() int {
	if c.ConsecutiveErrorLimit == nil {
		return DefaultConsecutiveErrorLimit
	}
	return *c.ConsecutiveErrorLimit
}

// TimeoutOrDefault is the request timeout with its default.
func (w WebCheck) TimeoutOrDefault() time.Duration {
	if w.Timeout <= 0 {
		return DefaultWebCheckTimeout
	}
	return w.Timeout.D()
}

// MethodOrDefault is the request method with its default.
func (w WebCheck) MethodOrDefault() string {
	if w.Method == "" {
		return http.MethodGet
	}
	return strings.ToUpper(w.Method)
}

// TimeoutOrDefault is the Job's timeout with its default.
func (j JobCheck) TimeoutOrDefault() time.Duration {
	if j.Timeout <= 0 {
		return DefaultJobCheckTimeout
	}
	return j.Timeout.D()
}

// ComparesGroups reports whether the analysis compares the canary with its
// baseline (the statistical or threshold judge) besides running its checks:
// always, unless it has checks and names no metrics and no judge.
func (c AnalysisSpec) ComparesGroups() bool {
	return len(c.Checks) == 0 || len(c.Metrics) > 0 || c.Judge != ""
}

// CheckProblem is one problem of a check: the field (relative to the
// analysis config, such as "checks[1].web.method") and what to do.
type CheckProblem = AnalysisProblem

// CheckProblems lists every problem of the checks that can be found without
// CEL or Kubernetes types (internal/config checks those too, with positions).
func (c AnalysisSpec) CheckProblems() []CheckProblem {
	var out []CheckProblem
	bad := func(field, format string, a ...any) {
		out = append(out, CheckProblem{Field: field, Message: fmt.Sprintf(format, a...)})
	}
	seen := map[string]bool{}
	for i, ch := range c.Checks {
		f := fmt.Sprintf("checks[%d]", i)
		switch {
		case ch.Name == "":
			bad(f+".name", "a check needs a name")
		case seen[ch.Name]:
			bad(f+".name", "%q is used twice: give each check its own name", ch.Name)
		}
		seen[ch.Name] = true
		if ch.Kind() == "" {
			bad(f, "check %q needs exactly one of web and job", ch.Name)
		}
		if ch.FailureLimit < NoLimit {
			bad(f+".failureLimit", "%d is below -1 (-1 is no limit)", ch.FailureLimit)
		}
		if ch.InconclusiveLimit < NoLimit {
			bad(f+".inconclusiveLimit", "%d is below -1 (-1 is no limit)", ch.InconclusiveLimit)
		}
		if ch.ConsecutiveErrorLimit != nil && *ch.ConsecutiveErrorLimit < 0 {
			bad(f+".consecutiveErrorLimit", "%d is negative", *ch.ConsecutiveErrorLimit)
		}
		if w := ch.Web; w != nil {
			if m := w.MethodOrDefault(); m != http.MethodGet && m != http.MethodPost {
				bad(f+".web.method", "%q is not GET or POST", w.Method)
			} else if w.Body != "" && m != http.MethodPost {
				bad(f+".web.body", "a body is sent only with method: POST: add it, or drop the body")
			}
			if w.Timeout < 0 {
				bad(f+".web.timeout", "%s is negative", w.Timeout)
			}
		}
		if ch.Job != nil {
			for _, c := range [][2]string{{"successCondition", ch.SuccessCondition}, {"failureCondition", ch.FailureCondition}} {
				if c[1] != "" {
					bad(f+"."+c[0], "a job check has no conditions: the Job's outcome decides (exit code 0 passes); drop the condition, or make the Job exit non-zero on failure")
				}
			}
		}
	}
	return out
}
