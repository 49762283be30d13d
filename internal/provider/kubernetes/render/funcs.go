package render

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// renderState is one Helm render's budget, shared by the injected tick and
// the wrapped template functions. Templates run on one goroutine, but tpl
// and include re-enter, so counters are atomic.
type renderState struct {
	ctx    context.Context
	source string
	lim    Limits
	spent  atomic.Int64
	// failure is the first budget error, kept so that the caller can
	// return it typed (Helm flattens template errors to strings).
	failure atomic.Pointer[error]
}

func (s *renderState) fail(err error) error {
	s.failure.CompareAndSwap(nil, &err)
	return err
}

// spend takes n loop iterations from the budget and checks the context.
func (s *renderState) spend(n int64) error {
	total := s.spent.Add(n)
	if total > s.lim.MaxLoopIterations {
		return s.fail(&LimitError{Source: s.source, What: "template loop iterations and named-template calls", Limit: s.lim.MaxLoopIterations, Got: total})
	}
	if err := s.ctx.Err(); err != nil {
		return s.fail(fmt.Errorf("render stopped: %w", ErrTimeout))
	}
	return nil
}

func (s *renderState) tick() (string, error) {
	return "", s.spend(1)
}

// helmOwnedFuncs are the template functions Helm's engine defines itself
// (helm.sh/helm/v4/pkg/engine funcMap and initFunMap at v4.3.2): they are
// left as Helm has them. env and expandenv are removed by Helm.
var helmOwnedFuncs = map[string]bool{
	"toToml": true, "mustToToml": true, "fromToml": true, "toYaml": true, "mustToYaml": true,
	"toYamlPretty": true, "fromYaml": true, "fromYamlArray": true, "toJson": true,
	"mustToJson": true, "fromJson": true, "fromJsonArray": true,
	"mustToDuration": true, "durationSeconds": true, "durationMilliseconds": true,
	"durationMicroseconds": true, "durationNanoseconds": true, "durationMinutes": true,
	"durationHours": true, "durationDays": true, "durationWeeks": true,
	"durationRoundTo": true, "durationTruncateTo": true,
	"include": true, "tpl": true, "required": true, "lookup": true, "fail": true,
	"getHostByName": true, "env": true, "expandenv": true,
}

// funcs returns the template functions that replace Helm's: the tick, and
// every Sprig function (plus print, printf and println) wrapped to check
// the budget before it runs and the size of what it returns.
func (s *renderState) funcs() template.FuncMap {
	m := template.FuncMap{tickFunc: s.tick}
	for name, fn := range sprig.TxtFuncMap() {
		if !helmOwnedFuncs[name] {
			m[name] = s.wrap(name, fn)
		}
	}
	m["print"] = s.wrap("print", fmt.Sprint)
	m["printf"] = s.wrap("printf", fmt.Sprintf)
	m["println"] = s.wrap("println", fmt.Sprintln)
	return m
}

var errorType = reflect.TypeFor[error]()

// wrap returns fn with the same parameters, returning (result, error): the
// budget is checked first, the size-multiplying functions are checked
// before they allocate, and a result larger than the output limit fails.
func (s *renderState) wrap(name string, fn any) any {
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func || t.NumOut() < 1 || t.NumOut() > 2 || (t.NumOut() == 2 && t.Out(1) != errorType) {
		return fn
	}
	ins := make([]reflect.Type, t.NumIn())
	for i := range ins {
		ins[i] = t.In(i)
	}
	wt := reflect.FuncOf(ins, []reflect.Type{t.Out(0), errorType}, t.IsVariadic())
	pre := preChecks[name]
	return reflect.MakeFunc(wt, func(args []reflect.Value) []reflect.Value {
		fail := func(err error) []reflect.Value {
			return []reflect.Value{reflect.Zero(t.Out(0)), reflect.ValueOf(&err).Elem()}
		}
		if err := s.spend(1); err != nil {
			return fail(err)
		}
		if pre != nil {
			if err := pre(s, args); err != nil {
				return fail(s.fail(err))
			}
		}
		var res []reflect.Value
		if t.IsVariadic() {
			res = v.CallSlice(args)
		} else {
			res = v.Call(args)
		}
		if len(res) == 2 && !res[1].IsNil() {
			return res
		}
		if err := s.checkSize(name, res[0]); err != nil {
			return fail(s.fail(err))
		}
		return []reflect.Value{res[0], reflect.Zero(errorType)}
	}).Interface()
}

func (s *renderState) checkSize(name string, v reflect.Value) error {
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	var n int64
	switch v.Kind() {
	case reflect.String, reflect.Slice, reflect.Map:
		n = int64(v.Len())
	default:
		return nil
	}
	if n > s.lim.MaxOutputBytes {
		return &LimitError{Source: s.source, What: "size of the result of template function " + name, Limit: s.lim.MaxOutputBytes, Got: n}
	}
	return nil
}

// preChecks refuse calls that would allocate more than the limits allow
// before they do: lists are charged to the loop budget element by element,
// strings are held to the output limit.
var preChecks = map[string]func(*renderState, []reflect.Value) error{
	"until": func(s *renderState, a []reflect.Value) error {
		return s.chargeList(a[0].Int())
	},
	"untilStep": func(s *renderState, a []reflect.Value) error {
		start, stop, step := a[0].Int(), a[1].Int(), a[2].Int()
		if step == 0 {
			return nil
		}
		return s.chargeList((stop - start) / step)
	},
	"seq": func(s *renderState, a []reflect.Value) error {
		// seq takes 1 to 3 numbers as strings or ints; charge the largest
		// magnitude as the length, which bounds it.
		var n int64
		for _, x := range a[0].Interface().([]int) {
			n = max(n, int64(x), -int64(x))
		}
		return s.chargeList(n)
	},
	"repeat": func(s *renderState, a []reflect.Value) error {
		return s.chargeBytes("repeat", a[0].Int()*int64(a[1].Len()))
	},
	"indent": func(s *renderState, a []reflect.Value) error {
		return s.chargeBytes("indent", a[0].Int()*int64(strings.Count(a[1].String(), "\n")+1))
	},
	"nindent": func(s *renderState, a []reflect.Value) error {
		return s.chargeBytes("nindent", a[0].Int()*int64(strings.Count(a[1].String(), "\n")+1))
	},
}

func (s *renderState) chargeList(n int64) error {
	if n < 0 {
		n = -n
	}
	return s.spend(n)
}

func (s *renderState) chargeBytes(name string, n int64) error {
	if n > s.lim.MaxOutputBytes {
		return &LimitError{Source: s.source, What: "size of the result of template function " + name, Limit: s.lim.MaxOutputBytes, Got: n}
	}
	return nil
}
