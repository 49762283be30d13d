package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// calendarLayout is how OpenSLO writes a calendar window's start (no zone:
// the zone is timeZone).
const calendarLayout = "2006-01-02 15:04:05"

// validateOpenSLO checks one OpenSLO document on its own; references
// between documents are checked when the set is resolved.
func validateOpenSLO(doc *Document) []Error {
	o := doc.OpenSLO
	var errs []Error
	errs = append(errs, checkOpenSLOMetadata(doc, "metadata", o.Metadata)...)
	switch s := o.Spec.(type) {
	case *osloSLO:
		errs = append(errs, validateOpenSLOSLO(doc, s)...)
	case *osloSLI:
		errs = append(errs, validateOpenSLOSLI(doc, "spec", s)...)
	case *osloAlertPolicy:
		errs = append(errs, validateAlertPolicy(doc, "spec", s)...)
	case *osloAlertCondition:
		errs = append(errs, validateAlertCondition(doc, "spec", s)...)
	}
	return errs
}

// checkOpenSLOMetadata checks a name (a DNS label, as OpenSLO asks) and
// that each label is a string or a list of strings.
func checkOpenSLOMetadata(doc *Document, path string, m osloMetadata) []Error {
	var errs []Error
	if doc.pos.has(path + ".name") {
		if msg := checkName(m.Name); msg != "" {
			errs = append(errs, doc.errorf(path+".name", "%s", msg))
		}
	}
	for _, k := range sortedKeys(m.Labels) {
		if _, ok := labelValue(m.Labels[k]); !ok {
			errs = append(errs, doc.errorf(fieldPath(path+".labels", k), "a label is a string or a list of strings: quote it, such as %q", fmt.Sprint(m.Labels[k])))
		}
	}
	return errs
}

// labelValue reads an OpenSLO label: a string, or a list of strings (joined
// with commas).
func labelValue(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			s, ok := p.(string)
			if !ok {
				return "", false
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}

func validateOpenSLOSLO(doc *Document, s *osloSLO) []Error {
	var errs []Error
	composite := false
	for i, o := range s.Objectives {
		if o.Indicator != nil || o.IndicatorRef != "" {
			composite = true
			errs = append(errs, doc.errorf(indexPath("spec.objectives", i), "composite SLOs (an indicator per objective) are not supported: write one SLO per indicator, with spec.indicator or spec.indicatorRef"))
		}
	}
	switch {
	case s.Indicator != nil && s.IndicatorRef != "":
		errs = append(errs, doc.errorf("spec.indicatorRef", "an SLO has one indicator: keep indicator (written inline) or indicatorRef (the name of an SLI), not both"))
	case s.Indicator == nil && s.IndicatorRef == "" && !composite:
		errs = append(errs, doc.errorf("spec", "an SLO needs an indicator: write spec.indicator (an SLI inline) or spec.indicatorRef (the name of an SLI)"))
	case s.Indicator != nil:
		errs = append(errs, checkOpenSLOMetadata(doc, "spec.indicator.metadata", s.Indicator.Metadata)...)
		errs = append(errs, validateOpenSLOSLI(doc, "spec.indicator.spec", &s.Indicator.Spec)...)
	}
	if doc.pos.has("spec.timeWindow") && len(s.TimeWindow) != 1 {
		errs = append(errs, doc.errorf("spec.timeWindow", "an SLO has exactly one time window, found %d: keep one, such as [{duration: 28d, isRolling: true}]", len(s.TimeWindow)))
	}
	for i, w := range s.TimeWindow {
		errs = append(errs, validateTimeWindow(doc, indexPath("spec.timeWindow", i), w)...)
	}
	if doc.pos.has("spec.objectives") && len(s.Objectives) == 0 {
		errs = append(errs, doc.errorf("spec.objectives", "an SLO needs at least one objective, such as [{target: 0.999}]"))
	}
	for i, o := range s.Objectives {
		errs = append(errs, validateObjective(doc, indexPath("spec.objectives", i), model.BudgetingMethod(s.BudgetingMethod), o)...)
	}
	for i, p := range s.AlertPolicies {
		if p.Spec != nil {
			path := indexPath("spec.alertPolicies", i)
			errs = append(errs, inlineKind(doc, path, p.Kind, model.KindAlertPolicy)...)
			if p.Metadata != nil {
				errs = append(errs, checkOpenSLOMetadata(doc, path+".metadata", *p.Metadata)...)
			}
			errs = append(errs, validateAlertPolicy(doc, path+".spec", p.Spec)...)
		}
	}
	return errs
}

// inlineKind asks an inline object to say its kind, as OpenSLO does.
func inlineKind(doc *Document, path, kind, want string) []Error {
	if kind == "" {
		return []Error{doc.errorf(path, "an inline object says its kind: write kind: %s beside its metadata and spec", want)}
	}
	return nil
}

func validateTimeWindow(doc *Document, path string, w osloTimeWindow) []Error {
	var errs []Error
	if w.Duration != "" {
		if _, _, _, msg := parseShorthand(w.Duration, false); msg != "" {
			errs = append(errs, doc.errorf(path+".duration", "%s", msg))
		}
	}
	rolling := w.IsRolling != nil && *w.IsRolling
	switch {
	case rolling && w.Calendar != nil:
		errs = append(errs, doc.errorf(path+".calendar", "a rolling window has no calendar: remove calendar, or set isRolling: false for a calendar-aligned window"))
	case w.IsRolling != nil && !rolling && w.Calendar == nil:
		errs = append(errs, doc.errorf(path+".isRolling", "a calendar-aligned window (isRolling: false) needs calendar: {startTime: \"2024-01-01 00:00:00\", timeZone: UTC}, or set isRolling: true"))
	}
	if c := w.Calendar; c != nil {
		if c.StartTime != "" {
			if _, err := time.Parse(calendarLayout, c.StartTime); err != nil {
				errs = append(errs, doc.errorf(path+".calendar.startTime", "%q is not a start time: write a date and time without a zone, such as \"2024-01-01 00:00:00\" (the zone is timeZone)", c.StartTime))
			}
		}
		if c.TimeZone != "" {
			if msg := checkTimeZone(c.TimeZone); msg != "" {
				errs = append(errs, doc.errorf(path+".calendar.timeZone", "%s", msg))
			}
		}
	}
	return errs
}

// checkTimeZone returns what is wrong with an IANA time zone name, or "".
func checkTimeZone(tz string) string {
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		return fmt.Sprintf("%q is not a time zone: use an IANA name such as UTC, Europe/Paris or America/New_York", tz)
	}
	return ""
}

func validateObjective(doc *Document, path string, method model.BudgetingMethod, o osloObjective) []Error {
	var errs []Error
	if o.Target != nil && (*o.Target <= 0 || *o.Target >= 1) {
		errs = append(errs, doc.errorf(path+".target", "%v is not a target: use a fraction above 0 and below 1, such as 0.999 (or targetPercent: 99.9)", *o.Target))
	}
	if o.TargetPercent != nil && (*o.TargetPercent <= 0 || *o.TargetPercent >= 100) {
		errs = append(errs, doc.errorf(path+".targetPercent", "%v is not a percent target: use a number above 0 and below 100, such as 99.9", *o.TargetPercent))
	}
	if o.TimeSliceTarget != nil && (*o.TimeSliceTarget <= 0 || *o.TimeSliceTarget > 1) {
		errs = append(errs, doc.errorf(path+".timeSliceTarget", "%v is not a time slice target: use a fraction above 0 and at most 1, such as 0.95", *o.TimeSliceTarget))
	}
	if o.CompositeWeight != nil && *o.CompositeWeight <= 0 {
		errs = append(errs, doc.errorf(path+".compositeWeight", "%v: a weight is above 0", *o.CompositeWeight))
	}
	if o.TimeSliceWindow != "" {
		if _, _, _, msg := parseShorthand(o.TimeSliceWindow, true); msg != "" {
			errs = append(errs, doc.errorf(path+".timeSliceWindow", "%s", msg))
		}
	}
	switch method {
	case model.BudgetTimeslices:
		if o.TimeSliceTarget == nil {
			errs = append(errs, doc.errorf(path, "budgetingMethod Timeslices needs timeSliceTarget, the good fraction that makes a slice good, such as 0.95"))
		}
		fallthrough
	case model.BudgetRatioTimeslices:
		if o.TimeSliceWindow == "" {
			errs = append(errs, doc.errorf(path, "budgetingMethod %s needs timeSliceWindow, the length of a slice, such as 1m", method))
		}
	}
	return errs
}

// validateOpenSLOSLI checks an SLI's spec at path (its one-of rules are the
// decoder's).
func validateOpenSLOSLI(doc *Document, path string, s *osloSLI) []Error {
	var errs []Error
	if m := s.ThresholdMetric; m != nil {
		errs = append(errs, validateMetricSource(doc, path+".thresholdMetric.metricSource", m.MetricSource)...)
	}
	r := s.RatioMetric
	if r == nil {
		return errs
	}
	rp := path + ".ratioMetric"
	switch {
	case r.Raw != nil && (r.Total != nil || r.Good != nil || r.Bad != nil):
		errs = append(errs, doc.errorf(rp+".raw", "a raw ratio stands alone: remove good, bad and total, or remove raw"))
	case r.Raw != nil:
		if r.RawType == "" {
			errs = append(errs, doc.errorf(rp, "a raw ratio needs rawType: success (the ratio is good events) or failure (bad events)"))
		}
		errs = append(errs, validateMetricSource(doc, rp+".raw.metricSource", r.Raw.MetricSource)...)
	case r.Total == nil:
		errs = append(errs, doc.errorf(rp, "a ratio metric needs total, the events counted, and good or bad"))
	case r.Good != nil && r.Bad != nil:
		errs = append(errs, doc.errorf(rp+".bad", "a ratio metric counts good or bad events over total, not both: remove one"))
	case r.Good == nil && r.Bad == nil:
		errs = append(errs, doc.errorf(rp, "a ratio metric needs good or bad, the events counted over total"))
	}
	for name, m := range map[string]*osloMetricSpec{"good": r.Good, "bad": r.Bad, "total": r.Total} {
		if m != nil {
			errs = append(errs, validateMetricSource(doc, rp+"."+name+".metricSource", m.MetricSource)...)
		}
	}
	return errs
}

func validateMetricSource(doc *Document, path string, m osloMetricSource) []Error {
	if doc.pos.has(path) && m.MetricSourceRef == "" && m.Type == "" {
		return []Error{doc.errorf(path, "a metric source needs type (such as Prometheus) or metricSourceRef (the name of a DataSource)")}
	}
	return nil
}

func validateAlertPolicy(doc *Document, path string, p *osloAlertPolicy) []Error {
	var errs []Error
	if len(p.Conditions) == 0 {
		errs = append(errs, doc.errorf(path, "an alert policy needs a condition: write conditions: [{conditionRef: NAME}] or one inline"))
	}
	for i, c := range p.Conditions {
		if c.Spec != nil {
			cp := indexPath(path+".conditions", i)
			errs = append(errs, inlineKind(doc, cp, c.Kind, model.KindAlertCondition)...)
			if c.Metadata != nil {
				errs = append(errs, checkOpenSLOMetadata(doc, cp+".metadata", *c.Metadata)...)
			}
			errs = append(errs, validateAlertCondition(doc, cp+".spec", c.Spec)...)
		}
	}
	for i, t := range p.NotificationTargets {
		if t.Spec != nil {
			tp := indexPath(path+".notificationTargets", i)
			errs = append(errs, inlineKind(doc, tp, t.Kind, model.KindAlertNotificationTarget)...)
			if t.Metadata == nil {
				errs = append(errs, doc.errorf(tp, "an inline notification target needs metadata: {name: ...}, the name of the gennaker Notification to tell"))
			} else {
				errs = append(errs, checkOpenSLOMetadata(doc, tp+".metadata", *t.Metadata)...)
			}
		}
	}
	return errs
}

func validateAlertCondition(doc *Document, path string, c *osloAlertCondition) []Error {
	var errs []Error
	cp := path + ".condition"
	if c.Condition.Op == "lt" || c.Condition.Op == "lte" {
		errs = append(errs, doc.errorf(cp+".op", "gennaker alerts when the burn rate rises above the threshold: write op: gte (or gt)"))
	}
	if doc.pos.has(cp+".threshold") && c.Condition.Threshold <= 0 {
		errs = append(errs, doc.errorf(cp+".threshold", "%v is not a burn rate: use a number above 0, such as 14.4 (the budget spent 14.4 times faster than it lasts)", c.Condition.Threshold))
	}
	if c.Condition.LookbackWindow != "" {
		if _, _, _, msg := parseShorthand(c.Condition.LookbackWindow, true); msg != "" {
			errs = append(errs, doc.errorf(cp+".lookbackWindow", "%s", msg))
		}
	}
	if c.Condition.AlertAfter != "" {
		if _, _, _, msg := parseShorthand(c.Condition.AlertAfter, true); msg != "" {
			errs = append(errs, doc.errorf(cp+".alertAfter", "%s", msg))
		}
	}
	return errs
}
