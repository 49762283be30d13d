package analysis

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"k8s.io/client-go/util/jsonpath"
)

// maxConditionLength bounds a condition, so a hostile config cannot make
// the CEL compiler do unbounded work; conditionCost bounds its evaluation.
const (
	maxConditionLength = 4096
	conditionCost      = 100_000
)

// conditionEnv declares what a check's condition may read: `result`, the
// value the check's JSONPath selected (number, string, bool, list, map or
// null, as JSON has them).
var conditionEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("result", cel.DynType),
		cel.CrossTypeNumericComparisons(true),
	)
})

// ErrCondition marks a condition that cannot be compiled or evaluated.
var ErrCondition = errors.New("check condition")

// CompileCondition compiles a success or failure condition; its error says
// what is wrong and what a condition looks like.
func CompileCondition(expr string) (cel.Program, error) {
	if len(expr) > maxConditionLength {
		return nil, fmt.Errorf("%w: the expression is %d characters long: keep it under %d", ErrCondition, len(expr), maxConditionLength)
	}
	env, err := conditionEnv()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCondition, err)
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		var msgs []string
		for _, e := range iss.Errors() {
			msgs = append(msgs, fmt.Sprintf("%s (at character %d)", e.Message, e.Location.Column()+1))
		}
		return nil, fmt.Errorf("%w: %q is not a valid CEL expression: %s; it reads `result`, such as result < 0.01 or result.status == \"ok\"",
			ErrCondition, expr, strings.Join(msgs, "; "))
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("%w: %q gives a %s, not a bool: compare it, such as result < 0.01", ErrCondition, expr, t)
	}
	prg, err := env.Program(ast, cel.CostLimit(conditionCost))
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrCondition, expr, err)
	}
	return prg, nil
}

// EvalCondition evaluates a condition with result bound to value.
func EvalCondition(expr string, value any) (bool, error) {
	prg, err := CompileCondition(expr)
	if err != nil {
		return false, err
	}
	out, _, err := prg.Eval(map[string]any{"result": value})
	if err != nil {
		return false, fmt.Errorf("%w: %q on %s: %v", ErrCondition, expr, showValue(value), err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("%w: %q on %s gave %v, not true or false", ErrCondition, expr, showValue(value), out.Value())
	}
	return b, nil
}

// Evaluate decides one measured value by a check's conditions, as Argo
// Rollouts does: with both conditions, failure wins, then success, and
// neither is inconclusive; with only a success condition, not meeting it
// fails; with only a failure condition, not meeting it succeeds; with none,
// any value succeeds. A condition that cannot be evaluated (a field the
// value lacks, a type it cannot compare) is an error measurement.
func Evaluate(success, failure string, value any) (CheckPhase, string) {
	var ok, bad bool
	var err error
	if success != "" {
		if ok, err = EvalCondition(success, value); err != nil {
			return CheckError, err.Error()
		}
	}
	if failure != "" {
		if bad, err = EvalCondition(failure, value); err != nil {
			return CheckError, err.Error()
		}
	}
	v := showValue(value)
	switch {
	case success == "" && failure == "":
		return CheckSuccessful, fmt.Sprintf("read %s (no conditions)", v)
	case failure != "" && bad:
		return CheckFailed, fmt.Sprintf("%s meets the failure condition %s", v, failure)
	case success != "" && ok:
		return CheckSuccessful, fmt.Sprintf("%s meets the success condition %s", v, success)
	case success == "":
		return CheckSuccessful, fmt.Sprintf("%s does not meet the failure condition %s", v, failure)
	case failure == "":
		return CheckFailed, fmt.Sprintf("%s does not meet the success condition %s", v, success)
	}
	return CheckInconclusive, fmt.Sprintf("%s meets neither the success condition %s nor the failure condition %s", v, success, failure)
}

// ErrJSONPath marks a JSONPath that cannot be parsed or finds nothing.
var ErrJSONPath = errors.New("jsonPath")

// normalizePath turns "$.a.b" or ".a.b" into the braced form Kubernetes
// JSONPath needs ({$.a.b}); without braces it would be literal text.
func normalizePath(path string) string {
	path = strings.TrimSpace(path)
	if path == "" {
		return "{$}"
	}
	if !strings.Contains(path, "{") {
		return "{" + path + "}"
	}
	return path
}

// ParseJSONPath checks a check's jsonPath.
func ParseJSONPath(path string) error {
	jp := jsonpath.New("check")
	if err := jp.Parse(normalizePath(path)); err != nil {
		return fmt.Errorf("%w: %q: %v: write Kubernetes JSONPath such as {$.data.errorRate}", ErrJSONPath, path, err)
	}
	return nil
}

// SelectJSON applies a jsonPath (Kubernetes JSONPath, as Argo Rollouts'
// web metric) to a decoded JSON document: one match is the value, several
// are a list. A path that matches nothing is an error naming the path.
func SelectJSON(doc any, path string) (any, error) {
	jp := jsonpath.New("check")
	if err := jp.Parse(normalizePath(path)); err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrJSONPath, path, err)
	}
	results, err := jp.FindResults(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrJSONPath, path, err)
	}
	var vals []any
	for _, rs := range results {
		for _, r := range rs {
			vals = append(vals, plain(r))
		}
	}
	switch len(vals) {
	case 0:
		return nil, fmt.Errorf("%w: %q matches nothing in the answer", ErrJSONPath, path)
	case 1:
		return vals[0], nil
	}
	return vals, nil
}

// plain turns a JSONPath match back into the plain JSON value it came from.
func plain(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.Interface {
		return nil
	}
	return v.Interface()
}

// showValue formats a value for messages, shortened.
func showValue(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		s = "null"
	case string:
		s = fmt.Sprintf("%q", x)
	default:
		s = fmt.Sprintf("%v", x)
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
