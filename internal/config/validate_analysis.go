package config

import (
	"cmp"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
)

// checkAnalysisSpec checks an analysis config at path ap: a canary's
// analysis block, an AnalysisTemplate's spec, or the file of `gennaker
// judge` and `analysis replay` (ParseAnalysis). Every one of them is checked
// here, so validate, apply and judge refuse the same configs.
func checkAnalysisSpec(doc *Document, ap string, a model.AnalysisSpec) []Error {
	var errs []Error
	// Negative durations are refused when they are decoded.
	if interval := cmp.Or(a.Interval, model.Duration(model.DefaultAnalysisInterval)); a.Lifetime > 0 && a.Lifetime < interval {
		errs = append(errs, doc.errorf(joinPath(ap, "lifetime"), "%s is shorter than one interval (%s): make it at least the interval, or shorten the interval", a.Lifetime, interval))
	}
	errs = append(errs, checkAnalysisMetrics(doc, ap, a)...)
	errs = append(errs, checkAnalysisChecks(doc, ap, a)...)
	return errs
}

// checkAnalysisMetrics checks the judges' settings: the config model's own
// rules (AnalysisSpec.Problems, with the canary's default metrics when the
// config names none) and what a source needs.
func checkAnalysisMetrics(doc *Document, ap string, a model.AnalysisSpec) []Error {
	var errs []Error
	judged := a
	judged.Checks = nil // checkAnalysisChecks reports every problem of the checks
	if a.Judge != model.JudgeThreshold && a.ComparesGroups() {
		// Group weights are checked against the metrics that will be judged.
		judged = analysis.ConfigFor(judged)
	}
	for _, p := range judged.Problems() {
		switch field := joinPath(ap, p.Field); {
		case len(a.Metrics) == 0 && strings.HasPrefix(p.Field, "metrics["):
			continue // a default metric: the defaults are valid
		case (strings.HasSuffix(field, ".name") || strings.HasSuffix(field, ".weight") && strings.Contains(field, "groups[")) && !doc.pos.has(field):
			continue // a required field: decoding reported it missing
		}
		errs = append(errs, doc.errorf(joinPath(ap, p.Field), "%s", p.Message))
	}
	for i, m := range a.Metrics {
		mp := indexPath(joinPath(ap, "metrics"), i)
		switch m.Source {
		case "", model.SourceFrontDoor:
			if m.Query != "" && !slices.Contains(model.FrontDoorMetrics, m.Query) {
				errs = append(errs, doc.errorf(mp+".query", "%q is not a front door metric: use one of %s", m.Query, strings.Join(model.FrontDoorMetrics, ", ")))
			}
		case model.SourcePrometheus:
			if m.Query == "" {
				errs = append(errs, doc.errorf(mp+".query", "a prometheus metric needs a PromQL query template, such as rate(http_requests_total{server_group=\"{{serverGroup}}\"}[1m])"))
			}
			if a.Prometheus == "" {
				errs = append(errs, doc.errorf(joinPath(ap, "prometheus"), "metric %q reads Prometheus: give its address here, such as http://127.0.0.1:9090", m.Name))
			}
		case model.SourceHTTP:
			if !strings.HasPrefix(m.Query, "http://") && !strings.HasPrefix(m.Query, "https://") {
				errs = append(errs, doc.errorf(mp+".query", "an http metric needs a URL template starting with http:// or https://"))
			}
		}
	}
	return errs
}
