package analysis

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestEvaluateConditionsAsArgoRollouts(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name             string
		success, failure string
		value            any
		want             CheckPhase
	}{
		{"no conditions: any value succeeds", "", "", 3.0, CheckSuccessful},
		{"success met", "result < 0.01", "", 0.001, CheckSuccessful},
		{"success not met fails", "result < 0.01", "", 0.5, CheckFailed},
		{"failure met", "", "result > 0.05", 0.5, CheckFailed},
		{"failure not met succeeds", "", "result > 0.05", 0.01, CheckSuccessful},
		{"both: failure wins", "result < 1", "result > 0.05", 0.5, CheckFailed},
		{"both: neither is inconclusive", "result < 0.01", "result > 0.05", 0.03, CheckInconclusive},
		{"an int literal compares with a JSON number", "result >= 1", "", 2.0, CheckSuccessful},
		{"a JSON number equals an int literal", "result == 1", "", 1.0, CheckSuccessful},
		{"strings", `result == "ok"`, "", "ok", CheckSuccessful},
		{"objects", `result.status == "healthy" && result.errors < 3`, "", map[string]any{"status": "healthy", "errors": 2.0}, CheckSuccessful},
		{"lists", "size(result) > 0 && result.all(x, x < 5)", "", []any{1.0, 2.0}, CheckSuccessful},
		{"string to number, as Argo's asFloat", `double(result) < 0.5`, "", "0.25", CheckSuccessful},
		{"a missing field is an error, not a failure", `result.missing == 1`, "", map[string]any{"a": 1.0}, CheckError},
		{"null", "result == null", "", nil, CheckSuccessful},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, msg := Evaluate(c.success, c.failure, c.value)
			if got != c.want {
				t.Errorf("Evaluate(%q, %q, %v) = %s (%s), want %s", c.success, c.failure, c.value, got, msg, c.want)
			}
			if msg == "" {
				t.Error("every measurement says what it found")
			}
		})
	}
}

func TestCompileConditionNamesTheProblem(t *testing.T) {
	t.Parallel()

	for expr, want := range map[string]string{
		"result <":                "not a valid CEL expression",
		"result.ok":               "",
		"1 + 1":                   "not a bool",
		"unknown_var == 1":        "undeclared reference",
		strings.Repeat("a", 5000): "characters long",
	} {
		_, err := CompileCondition(expr)
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v (a dyn result may be a bool)", expr, err)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrCondition) || !strings.Contains(err.Error(), want) {
			t.Errorf("%.20q: got %v, want an ErrCondition saying %q", expr, err, want)
		}
	}
}

func TestSelectJSON(t *testing.T) {
	t.Parallel()

	var doc any
	if err := json.Unmarshal([]byte(`{"data": {"errorRate": 0.02, "ok": true, "pods": [{"ready": 1}, {"ready": 0}]}, "status": "green"}`), &doc); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want string // JSON of the selected value; "" means an error
	}{
		{"{$.data.errorRate}", "0.02"},
		{"$.data.errorRate", "0.02"}, // braces added
		{".status", `"green"`},
		{"", `{"data":{"errorRate":0.02,"ok":true,"pods":[{"ready":1},{"ready":0}]},"status":"green"}`},
		{"{$.data.ok}", "true"},
		{"{$.data.pods[*].ready}", "[1,0]"},
		{"{$.data.pods[0]}", `{"ready":1}`},
		{"{$.data.missing}", ""},
		{"{$.data[}", ""},
	}
	for _, c := range cases {
		got, err := SelectJSON(doc, c.path)
		if c.want == "" {
			if err == nil || !errors.Is(err, ErrJSONPath) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("%q: got %v, %v; want an ErrJSONPath naming the path", c.path, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.path, err)
			continue
		}
		b, _ := json.Marshal(got)
		if string(b) != c.want {
			t.Errorf("%q: got %s, want %s", c.path, b, c.want)
		}
	}
	if err := ParseJSONPath("{$.a[}"); err == nil {
		t.Error("a broken path must be refused at config time")
	}
}

func TestDecideChecksLimits(t *testing.T) {
	t.Parallel()

	four := 1
	checks := []model.AnalysisCheck{
		{Name: "budget", Web: &model.WebCheck{URL: "http://x"}, FailureLimit: 1, InconclusiveLimit: 1, ConsecutiveErrorLimit: &four},
		{Name: "smoke", Job: &model.JobCheck{}},
	}
	m := func(check string, p CheckPhase) CheckMeasurement {
		return CheckMeasurement{Check: check, Phase: p, Message: "found " + string(p)}
	}
	S, F, I, E := CheckSuccessful, CheckFailed, CheckInconclusive, CheckError
	cases := []struct {
		name   string
		ms     []CheckMeasurement
		want   Outcome
		reason string
	}{
		{"nothing measured yet", nil, OutcomePass, "within their limits"},
		{"all successful", []CheckMeasurement{m("budget", S), m("smoke", S)}, OutcomePass, "budget 1/1 successful, smoke 1/1"},
		{"one failure within failureLimit 1", []CheckMeasurement{m("budget", F), m("budget", S)}, OutcomePass, ""},
		{"two failures exceed failureLimit 1", []CheckMeasurement{m("budget", F), m("budget", S), m("budget", F)}, OutcomeFail, "check budget failed 2 of 3 measurements (failureLimit 1)"},
		{"default failureLimit 0: the first failure fails", []CheckMeasurement{m("smoke", F)}, OutcomeFail, "check smoke failed 1 of 1"},
		{"inconclusive beyond its limit", []CheckMeasurement{m("budget", I), m("budget", I)}, OutcomeInconclusive, "inconclusive 2 of 2 times (inconclusiveLimit 1)"},
		{"errors in a row beyond the limit", []CheckMeasurement{m("budget", E), m("budget", E)}, OutcomeInconclusive, "could not measure 2 times in a row (consecutiveErrorLimit 1)"},
		{"a measurement between errors resets the count", []CheckMeasurement{m("budget", E), m("budget", S), m("budget", E)}, OutcomePass, ""},
		{"default consecutiveErrorLimit 4", []CheckMeasurement{m("smoke", E), m("smoke", E), m("smoke", E), m("smoke", E)}, OutcomePass, ""},
		{"a fifth error in a row", []CheckMeasurement{m("smoke", E), m("smoke", E), m("smoke", E), m("smoke", E), m("smoke", E)}, OutcomeInconclusive, "consecutiveErrorLimit 4"},
		{"a failure wins over an inconclusive check", []CheckMeasurement{m("budget", I), m("budget", I), m("smoke", F)}, OutcomeFail, "check smoke failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := DecideChecks(checks, c.ms)
			if v.Outcome != c.want || !strings.Contains(v.Reason, c.reason) {
				t.Errorf("got %s: %s\nwant %s with %q", v.Outcome, v.Reason, c.want, c.reason)
			}
		})
	}

	unlimited := []model.AnalysisCheck{{Name: "watch", Web: &model.WebCheck{}, FailureLimit: model.NoLimit, InconclusiveLimit: model.NoLimit}}
	if v := DecideChecks(unlimited, []CheckMeasurement{m("watch", F), m("watch", F), m("watch", I)}); v.Outcome != OutcomePass || v.Score != 0 {
		t.Errorf("failureLimit -1 records only: got %s (score %v)", v.Outcome, v.Score)
	}
}
