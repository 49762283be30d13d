package config

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
)

// maxConditionLength bounds an `if:` expression, so a hostile document cannot
// make the CEL compiler do unbounded work.
const maxConditionLength = 4096

// conditionEnv declares what a stage's `if:` expression may read: the run's
// parameters and the earlier stages' records (status, output, ...).
var conditionEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("params", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("stages", cel.MapType(cel.StringType, cel.MapType(cel.StringType, cel.DynType))),
	)
})

// checkCondition returns what is wrong with a stage's `if:` expression, or "".
func checkCondition(expr string) string {
	if len(expr) > maxConditionLength {
		return fmt.Sprintf("the expression is %d characters long: keep it under %d", len(expr), maxConditionLength)
	}
	env, err := conditionEnv()
	if err != nil {
		return "cannot check the expression: " + err.Error()
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		var msgs []string
		for _, e := range iss.Errors() {
			msgs = append(msgs, fmt.Sprintf("%s (at character %d)", e.Message, e.Location.Column()+1))
		}
		return fmt.Sprintf("%q is not a valid CEL expression: %s; it may use params (map of strings) and stages (map of stage records), such as params.env == \"prod\"",
			expr, strings.Join(msgs, "; "))
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return fmt.Sprintf("%q gives a %s, not a bool: compare it, such as params.env == \"prod\"", expr, t)
	}
	return ""
}
