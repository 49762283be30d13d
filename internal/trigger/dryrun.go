package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/engine"
)

// DryRun is what a firing would do, worked out without starting anything.
type DryRun struct {
	Status
	// WouldStart is true when the firing would start the pipeline.
	WouldStart bool `json:"wouldStart"`
	// Skipped says why not: paused, the first false `when`, an expression
	// that failed, or parameters the pipeline refuses.
	Skipped    string      `json:"skipped,omitempty"`
	Conditions []Condition `json:"conditions"`
	// Params are the parameters the pipeline would get (the source's
	// defaults, the trigger's params, then the pipeline's defaults).
	Params map[string]string `json:"params"`
	// Input is what the expressions read.
	Input map[string]any `json:"input"`
}

// TestInput builds the input a trigger's expressions read from a test
// body: for a webhook trigger the body is the delivery's (JSON) payload,
// with no headers; for the others it is a JSON object of the source's
// variables (registry: {"tag": "1.4.0", ...}).
func TestInput(ref Ref, body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	typ := ref.Spec.Type()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, fmt.Errorf("%w: trigger %s: the test payload is not one JSON document (%v): give the body a delivery would have", engine.ErrBadRequest, ref.Key(), err)
	}
	if typ == "webhook" {
		hook := strings.TrimPrefix(HookPath(ref), "/api/v1/hooks/")
		return map[string]any{"payload": v, "headers": map[string]string{}, "hook": hook}, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: trigger %s: a %s trigger's test payload is a JSON object of its variables (%s)", engine.ErrBadRequest, ref.Key(), typ, strings.Join(Variables(typ), ", "))
	}
	var unknown []string
	for k := range obj {
		if !slices.Contains(Variables(typ), k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("%w: trigger %s: a %s trigger has no variable %s: it reads %s", engine.ErrBadRequest, ref.Key(), typ, strings.Join(unknown, ", "), strings.Join(Variables(typ), ", "))
	}
	return obj, nil
}

// Test works out what a firing of the trigger with this test body would
// do (TestInput), without starting anything or recording a firing.
func (s *Service) Test(ctx context.Context, key string, body []byte) (DryRun, error) {
	ref, err := s.Lookup(ctx, key)
	if err != nil {
		return DryRun{}, err
	}
	input, err := TestInput(ref, body)
	if err != nil {
		return DryRun{}, err
	}
	st, err := s.store.TriggerStateGet(ctx, key)
	if err != nil {
		return DryRun{}, err
	}
	d := Decide(ref.Spec, input, keepDeclared(ref.Pipeline, SourceDefaults(ref.Spec.Type(), input)))
	out := DryRun{Status: status(ref, st), WouldStart: d.Start, Skipped: d.Skipped, Conditions: d.Conditions, Params: d.Params, Input: input}
	if out.Conditions == nil {
		out.Conditions = []Condition{}
	}
	if d.Start {
		resolved, err := engine.ResolveParams(ref.Pipeline, d.Params)
		if err != nil {
			out.WouldStart, out.Skipped = false, "the pipeline would refuse the parameters: "+strings.TrimPrefix(err.Error(), engine.ErrBadRequest.Error()+": ")
		} else {
			out.Params = resolved
		}
	}
	if reason, err := s.pausedReason(ctx, ref); err != nil {
		return DryRun{}, err
	} else if reason != "" && out.WouldStart {
		out.WouldStart, out.Skipped = false, reason
	}
	return out, nil
}
