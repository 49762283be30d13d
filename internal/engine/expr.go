package engine

import (
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"

	"github.com/gennaker/gennaker/internal/model"
)

var (
	celEnvOnce sync.Once
	celEnv     *cel.Env
	celEnvErr  error
	programs   sync.Map // expression -> cel.Program
)

// conditionEnv declares what a stage's `if:` may read: params (the
// execution's parameters) and stages (each earlier stage's status and output).
func conditionEnv() (*cel.Env, error) {
	celEnvOnce.Do(func() {
		celEnv, celEnvErr = cel.NewEnv(
			cel.Variable("params", cel.MapType(cel.StringType, cel.StringType)),
			cel.Variable("stages", cel.MapType(cel.StringType, cel.MapType(cel.StringType, cel.DynType))),
		)
	})
	return celEnv, celEnvErr
}

// evalCondition evaluates a stage's `if:`; an empty condition is true. It
// returns why the stage is skipped when false.
func evalCondition(expr string, exec *model.Execution) (bool, string, error) {
	if expr == "" {
		return true, "", nil
	}
	prg, err := program(expr)
	if err != nil {
		return false, "", err
	}
	stages := map[string]any{}
	for _, st := range exec.Stages {
		var out any
		_ = jsonUnmarshal(st.Output, &out)
		stages[st.Name] = map[string]any{"status": string(st.Status), "output": out}
	}
	params := exec.Params
	if params == nil {
		params = map[string]string{}
	}
	val, _, err := prg.Eval(map[string]any{"params": params, "stages": stages})
	if err != nil {
		return false, "", fmt.Errorf("condition `if: %s` failed to evaluate: %v", expr, err)
	}
	b, ok := val.Value().(bool)
	if !ok {
		return false, "", fmt.Errorf("condition `if: %s` gave %v, not true or false", expr, val)
	}
	return b, fmt.Sprintf("skipped: condition `%s` is false", expr), nil
}

func program(expr string) (cel.Program, error) {
	if p, ok := programs.Load(expr); ok {
		return p.(cel.Program), nil
	}
	env, err := conditionEnv()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("condition `if: %s` does not compile: %v", expr, iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		return nil, fmt.Errorf("condition `if: %s`: %v", expr, err)
	}
	programs.Store(expr, prg)
	return prg, nil
}
