package trigger

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// maxExpressionLength bounds a `when` or `params` expression, so a hostile
// config cannot make the CEL compiler do unbounded work; expressionCost
// bounds its evaluation over a (possibly large) webhook payload.
const (
	maxExpressionLength = 4096
	expressionCost      = 1_000_000
)

// ErrExpression marks a `when` or `params` expression that cannot be
// compiled or evaluated.
var ErrExpression = errors.New("trigger expression")

// variable is one name a source's expressions read.
type variable struct {
	name string
	typ  *cel.Type
	zero any // its value when a firing does not give it
}

var (
	str       = cel.StringType
	stringMap = cel.MapType(cel.StringType, cel.StringType)
	dynMap    = cel.MapType(cel.StringType, cel.DynType)
)

// sourceVariables lists, per source type, the variables its `when` and
// `params` expressions read (model.TriggerSpec's doc comment).
var sourceVariables = map[string][]variable{
	"webhook": {
		{"payload", cel.DynType, map[string]any{}},
		{"headers", stringMap, map[string]string{}},
		{"hook", str, ""},
	},
	"registry": {{"repository", str, ""}, {"tag", str, ""}, {"digest", str, ""}},
	"git": {
		{"repository", str, ""}, {"branch", str, ""}, {"commit", str, ""},
		{"commitTime", str, ""}, {"author", str, ""}, {"message", str, ""},
	},
	"schedule": {{"tick", str, ""}, {"cron", str, ""}},
	"pipeline": {{"execution", dynMap, map[string]any{}}},
}

// SourceTypes are the trigger source types, sorted.
func SourceTypes() []string {
	out := make([]string, 0, len(sourceVariables))
	for t := range sourceVariables {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Variables names the variables a source type's expressions read, in the
// order model.TriggerSpec lists them (nil for an unknown type).
func Variables(sourceType string) []string {
	var out []string
	for _, v := range sourceVariables[sourceType] {
		out = append(out, v.name)
	}
	return out
}

var envs sync.Map // source type -> *cel.Env

// celEnv is the CEL environment of a source type: its variables, the
// string extensions (substring, split, lowerAscii, ...) and numbers of
// different types comparable (a JSON number is a double).
func celEnv(sourceType string) (*cel.Env, error) {
	if e, ok := envs.Load(sourceType); ok {
		return e.(*cel.Env), nil
	}
	vars, ok := sourceVariables[sourceType]
	if !ok {
		return nil, fmt.Errorf("%w: unknown trigger source %q: use one of %s", ErrExpression, sourceType, strings.Join(SourceTypes(), ", "))
	}
	opts := []cel.EnvOption{ext.Strings(), cel.CrossTypeNumericComparisons(true)}
	for _, v := range vars {
		opts = append(opts, cel.Variable(v.name, v.typ))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: building the %s environment: %v", ErrExpression, sourceType, err)
	}
	actual, _ := envs.LoadOrStore(sourceType, env)
	return actual.(*cel.Env), nil
}

// CompileCheck reports what is wrong with a `when` or `params` expression
// of a trigger of this source type, or nil: too long, not CEL, or reading
// a variable the source does not give. The error names the variables the
// source gives. (A `when` must also give a bool: CheckWhen.)
func CompileCheck(sourceType, expr string) error {
	_, err := compile(sourceType, expr)
	return err
}

// CheckWhen is CompileCheck for a `when` condition, which must also give
// true or false.
func CheckWhen(sourceType, expr string) error {
	ast, err := compile(sourceType, expr)
	if err != nil {
		return err
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return fmt.Errorf("%w: %q gives a %s, not a bool: compare it, such as %s", ErrExpression, expr, t, example(sourceType))
	}
	return nil
}

func compile(sourceType, expr string) (*cel.Ast, error) {
	if len(expr) > maxExpressionLength {
		return nil, fmt.Errorf("%w: the expression is %d characters long: keep it under %d", ErrExpression, len(expr), maxExpressionLength)
	}
	if strings.TrimSpace(expr) == "" {
		return nil, fmt.Errorf("%w: the expression is empty: write a CEL expression, such as %s", ErrExpression, example(sourceType))
	}
	env, err := celEnv(sourceType)
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		var msgs []string
		for _, e := range iss.Errors() {
			msgs = append(msgs, fmt.Sprintf("%s (at character %d)", e.Message, e.Location.Column()+1))
		}
		return nil, fmt.Errorf("%w: %q is not a valid CEL expression: %s; a %s trigger reads %s, such as %s",
			ErrExpression, expr, strings.Join(msgs, "; "), sourceType, strings.Join(Variables(sourceType), ", "), example(sourceType))
	}
	return ast, nil
}

// example is a condition a source type's expressions could be.
func example(sourceType string) string {
	switch sourceType {
	case "webhook":
		return `payload.ref == "refs/heads/main"`
	case "registry":
		return `tag.startsWith("v")`
	case "git":
		return `!message.contains("[skip ci]")`
	case "schedule":
		return `cron != ""`
	case "pipeline":
		return `execution.status == "succeeded"`
	}
	return `true`
}

var programs sync.Map // source type + "\x00" + expression -> cel.Program

// program compiles an expression once per source type and caches it, with
// the evaluation cost bounded.
func program(sourceType, expr string) (cel.Program, error) {
	key := sourceType + "\x00" + expr
	if p, ok := programs.Load(key); ok {
		return p.(cel.Program), nil
	}
	ast, err := compile(sourceType, expr)
	if err != nil {
		return nil, err
	}
	env, err := celEnv(sourceType)
	if err != nil {
		return nil, err
	}
	prg, err := env.Program(ast, cel.CostLimit(expressionCost))
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrExpression, expr, err)
	}
	programs.Store(key, prg)
	return prg, nil
}

// activation is a firing's input with every variable of its source type
// set: one the source did not give reads as its zero value (empty string
// or map), so a condition on it is false rather than an error.
func activation(sourceType string, input map[string]any) map[string]any {
	act := make(map[string]any, len(sourceVariables[sourceType]))
	for _, v := range sourceVariables[sourceType] {
		if val, ok := input[v.name]; ok && val != nil {
			act[v.name] = val
		} else {
			act[v.name] = v.zero
		}
	}
	return act
}

// evaluate runs one expression over a firing's input.
func evaluate(sourceType, expr string, input map[string]any) (any, error) {
	prg, err := program(sourceType, expr)
	if err != nil {
		return nil, err
	}
	out, _, err := prg.Eval(activation(sourceType, input))
	if err != nil {
		return nil, fmt.Errorf("%w: %q failed to evaluate: %v", ErrExpression, expr, err)
	}
	return out.Value(), nil
}
