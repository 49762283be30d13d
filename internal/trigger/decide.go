package trigger

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/google/cel-go/common/types/ref"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gennaker/gennaker/internal/model"
)

// Condition is one `when` condition and what it gave.
type Condition struct {
	Expr   string `json:"expr"`
	Result bool   `json:"result"`
	// Error says why it could not be evaluated (then Result is false).
	Error string `json:"error,omitempty"`
}

// Decision is what a firing does, decided from the trigger and its input
// alone: whether it starts its pipeline and with which parameters.
type Decision struct {
	// Start is true when every `when` condition holds and every param
	// evaluated.
	Start bool `json:"start"`
	// Skipped says why not, naming the first false condition or the
	// failing expression.
	Skipped    string            `json:"skipped,omitempty"`
	Conditions []Condition       `json:"conditions,omitempty"`
	Params     map[string]string `json:"params"`
}

// Decide evaluates a trigger's `when` conditions and `params` over a
// firing's input: a pure function of the spec, the input and the source's
// default parameters (which the trigger's params override).
func Decide(spec model.TriggerSpec, input map[string]any, defaults map[string]string) Decision {
	typ := spec.Type()
	d := Decision{Start: true, Params: map[string]string{}}
	for _, expr := range spec.When {
		c := Condition{Expr: expr}
		v, err := evaluate(typ, expr, input)
		switch b, ok := v.(bool); {
		case err != nil:
			c.Error = err.Error()
		case !ok:
			c.Error = fmt.Sprintf("%q gave %v, not true or false", expr, v)
		default:
			c.Result = b
		}
		d.Conditions = append(d.Conditions, c)
		if !c.Result && d.Start {
			d.Start = false
			if c.Error != "" {
				d.Skipped = "when " + c.Error
			} else {
				d.Skipped = fmt.Sprintf("when `%s` is false", expr)
			}
		}
	}
	maps.Copy(d.Params, defaults)
	names := make([]string, 0, len(spec.Params))
	for name := range spec.Params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := evaluate(typ, spec.Params[name], input)
		if err == nil {
			var s string
			if s, err = Stringify(v); err == nil {
				d.Params[name] = s
				continue
			}
		}
		if d.Start {
			d.Start = false
			d.Skipped = fmt.Sprintf("param %s: %v", name, err)
		}
	}
	return d
}

// Stringify turns a CEL result into a parameter's string: strings as they
// are, whole numbers without exponent or fraction, other numbers in their
// shortest form without exponent, timestamps in RFC 3339 (UTC), durations
// as Go writes them, lists and maps as JSON. null is the empty string.
func Stringify(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "", fmt.Errorf("%v is not a number a parameter can hold", v)
		}
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano), nil
	case *timestamppb.Timestamp:
		return v.AsTime().UTC().Format(time.RFC3339Nano), nil
	case time.Duration:
		return v.String(), nil
	case *durationpb.Duration:
		return v.AsDuration().String(), nil
	case []byte:
		return string(v), nil
	case ref.Val:
		return Stringify(v.Value())
	}
	b, err := json.Marshal(plain(v))
	if err != nil {
		return "", fmt.Errorf("a %T cannot be a parameter: %v", v, err)
	}
	return string(b), nil
}

// plain turns CEL's lists and maps (whose elements may be CEL values) into
// values encoding/json writes.
func plain(v any) any {
	switch v := v.(type) {
	case ref.Val:
		return plain(v.Value())
	case []ref.Val:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plain(e)
		}
		return out
	case map[ref.Val]ref.Val:
		out := make(map[string]any, len(v))
		for k, e := range v {
			ks, _ := Stringify(k)
			out[ks] = plain(e)
		}
		return out
	}
	return v
}
