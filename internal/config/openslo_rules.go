package config

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gennaker/gennaker/internal/model"
)

// The shape rules of the OpenSLO kinds, merged into the tables of rules.go
// that the decoder and the JSON Schema read.
func init() {
	ops := []string{"lt", "lte", "gt", "gte"}
	maps.Copy(fieldEnums, map[reflect.Type]map[string][]string{
		reflect.TypeFor[osloSLO](): {"budgetingMethod": {
			string(model.BudgetOccurrences), string(model.BudgetTimeslices), string(model.BudgetRatioTimeslices),
		}},
		reflect.TypeFor[osloObjective]():       {"op": ops},
		reflect.TypeFor[osloRatioMetric]():     {"rawType": {"success", "failure"}},
		reflect.TypeFor[osloCondition]():       {"kind": {"burnrate"}, "op": ops},
		reflect.TypeFor[osloAlertPolicyItem](): {"kind": {model.KindAlertPolicy}},
		reflect.TypeFor[osloConditionItem]():   {"kind": {model.KindAlertCondition}},
		reflect.TypeFor[osloTargetItem]():      {"kind": {model.KindAlertNotificationTarget}},
	})
	maps.Copy(requiredFields, map[reflect.Type][]string{
		reflect.TypeFor[osloMetadata]():           {"name"},
		reflect.TypeFor[osloSLO]():                {"service", "timeWindow", "budgetingMethod", "objectives"},
		reflect.TypeFor[osloInlineSLI]():          {"metadata", "spec"},
		reflect.TypeFor[osloMetricSpec]():         {"metricSource"},
		reflect.TypeFor[osloTimeWindow]():         {"duration"},
		reflect.TypeFor[osloCalendar]():           {"startTime", "timeZone"},
		reflect.TypeFor[osloDataSource]():         {"type"},
		reflect.TypeFor[osloAlertCondition]():     {"severity", "condition"},
		reflect.TypeFor[osloCondition]():          {"threshold", "lookbackWindow"},
		reflect.TypeFor[osloNotificationTarget](): {"target"},
	})
	maps.Copy(oneOfFields, map[reflect.Type]oneOf{
		reflect.TypeFor[osloSLI](): {noun: "service level indicator", fields: []string{"thresholdMetric", "ratioMetric"},
			fix: "keep one: thresholdMetric compares one metric with each objective's op and value, ratioMetric divides good (or bad) events by total ones"},
		reflect.TypeFor[osloObjective](): {noun: "SLO objective", fields: []string{"target", "targetPercent"},
			fix: "keep one: target is a fraction such as 0.999, targetPercent a percent such as 99.9"},
		reflect.TypeFor[osloAlertPolicyItem](): {noun: "alert policy", fields: []string{"alertPolicyRef", "spec"},
			fix: "keep one: name an AlertPolicy with alertPolicyRef or write it inline with kind, metadata and spec"},
		reflect.TypeFor[osloConditionItem](): {noun: "condition", fields: []string{"conditionRef", "spec"},
			fix: "keep one: name an AlertCondition with conditionRef or write it inline with kind, metadata and spec"},
		reflect.TypeFor[osloTargetItem](): {noun: "notification target", fields: []string{"targetRef", "spec"},
			fix: "keep one: name an AlertNotificationTarget with targetRef or write it inline with kind, metadata and spec"},
	})
	maps.Copy(fieldBounds, map[reflect.Type]map[string]bounds{
		reflect.TypeFor[osloObjective](): {
			"target":          {min: ptr(0.0), max: ptr(1.0), exclusiveMinimum: true, exclusiveMaximum: true},
			"targetPercent":   {min: ptr(0.0), max: ptr(100.0), exclusiveMinimum: true, exclusiveMaximum: true},
			"timeSliceTarget": {min: ptr(0.0), max: ptr(1.0), exclusiveMinimum: true},
			"compositeWeight": above(0),
		},
		reflect.TypeFor[osloCondition](): {"threshold": above(0)},
	})
}

func ptr[T any](v T) *T { return &v }

// durationShorthand is OpenSLO's duration: a whole number and a unit of
// m, h, d, w, M (month), Q (quarter) or Y (year), such as 28d; where a
// time slice is meant, a plain number of minutes too (as OpenSLO says).
type durationShorthand string

var shorthandType = reflect.TypeFor[durationShorthand]()

var shorthandPattern = regexp.MustCompile(`^([0-9]+)([mhdwMQY])$`)

// shorthand decodes a duration shorthand as written; its form is checked
// where its meaning is known (openslo_validate.go).
func (d *decoder) shorthand(n *yaml.Node, path string, v reflect.Value) {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!str" && tag != "!!int") {
		d.wrongType(n, path, "a duration shorthand such as 28d, 1w or 1M")
		return
	}
	v.SetString(n.Value)
}

// shorthandSchema is the JSON Schema of a duration shorthand.
func shorthandSchema() jsonSchema {
	return jsonSchema{"anyOf": []any{
		jsonSchema{"type": "string", "pattern": shorthandPattern.String()},
		jsonSchema{"type": "integer", "minimum": 1},
	}, "description": "an OpenSLO duration shorthand: a number and a unit of m, h, d, w, M (month), Q (quarter) or Y (year), such as 28d"}
}

// parseShorthand reads s as a window length (Count, Unit). fixed says the
// length must be a fixed duration (m, h, d, w only), which a plain number
// of minutes also is; it is returned as dur.
func parseShorthand(s durationShorthand, fixed bool) (count int, unit string, dur time.Duration, msg string) {
	example := "28d, 1w or 1M"
	if fixed {
		example = "1m, 5m or 1h"
	}
	if fixed {
		if mins, err := strconv.Atoi(string(s)); err == nil && mins > 0 && mins <= 100_000 {
			return mins, "m", time.Duration(mins) * time.Minute, ""
		}
	}
	m := shorthandPattern.FindStringSubmatch(string(s))
	if m == nil {
		return 0, "", 0, fmt.Sprintf("%q is not a duration shorthand: write a whole number and a unit of m, h, d, w, M, Q or Y, such as %s", string(s), example)
	}
	count, err := strconv.Atoi(m[1])
	if err != nil || count <= 0 || count > 100_000 {
		return 0, "", 0, fmt.Sprintf("%q: the number must be from 1 to 100000, such as %s", string(s), example)
	}
	unit = m[2]
	per := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[unit]
	if per == 0 {
		if fixed {
			return 0, "", 0, fmt.Sprintf("%q has no fixed length (months, quarters and years differ): use m, h, d or w, such as %s", string(s), example)
		}
		return count, unit, 0, ""
	}
	return count, unit, time.Duration(count) * per, ""
}
