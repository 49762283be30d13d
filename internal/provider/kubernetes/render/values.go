package render

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"
)

// userValues merges the values given with the render, in Helm's order:
// values files, --set, --set-string; then gennaker's own.
func userValues(src string, opts HelmOptions, lim Limits) (map[string]any, error) {
	vals := map[string]any{}
	var size int64
	for _, f := range opts.ValuesFiles {
		size += int64(len(f.Data))
		if size > lim.MaxInputBytes {
			return nil, &LimitError{Source: src, What: "values file bytes", Limit: lim.MaxInputBytes, Got: size}
		}
		v, err := loader.LoadValues(bytes.NewReader(f.Data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w: values file %s: %v", src, ErrInvalid, f.Name, err)
		}
		vals = loader.MergeMaps(vals, v)
	}
	for _, s := range opts.Set {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, fmt.Errorf("%s: %w: set %q: %v", src, ErrInvalid, s, err)
		}
	}
	for _, s := range opts.SetString {
		if err := strvals.ParseIntoString(s, vals); err != nil {
			return nil, fmt.Errorf("%s: %w: set-string %q: %v", src, ErrInvalid, s, err)
		}
	}
	id := opts.Gennaker
	if id != (Identity{}) {
		vals["gennaker"] = map[string]any{
			"app": id.App, "environment": id.Environment, "serverGroup": id.ServerGroup, "version": id.Version,
		}
	}
	paths := opts.ImageTagPaths
	if paths == nil {
		paths = []string{"image.tag"}
	}
	if id.Version != "" {
		for _, p := range paths {
			if err := setPath(vals, p, id.Version); err != nil {
				return nil, fmt.Errorf("%s: %w: image tag path %q: %v", src, ErrInvalid, p, err)
			}
		}
	}
	return vals, nil
}

// setPath sets a dotted path ("image.tag") to v, creating tables on the way.
func setPath(m map[string]any, p string, v any) error {
	parts := strings.Split(p, ".")
	for i, k := range parts {
		if k == "" {
			return errors.New("empty key")
		}
		if i == len(parts)-1 {
			m[k] = v
			return nil
		}
		next, ok := m[k].(map[string]any)
		if !ok {
			if m[k] != nil {
				return fmt.Errorf("%s is not a table", strings.Join(parts[:i+1], "."))
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return nil
}

// validateSchemas checks the values against values.schema.json of the chart
// and of every subchart, as Helm does, except that a schema may only refer
// to itself: Helm's validator would fetch http(s) and file references.
func validateSchemas(src string, ch *chart.Chart, vals any) error {
	var problems []string
	var walk func(ch *chart.Chart, vals map[string]any)
	walk = func(ch *chart.Chart, vals map[string]any) {
		if ch.Schema != nil {
			if err := validateSchema(ch.Schema, vals); err != nil {
				problems = append(problems, fmt.Sprintf("%s/values.schema.json: %v", ch.ChartFullPath(), err))
			}
		}
		for _, sub := range ch.Dependencies() {
			switch sv := vals[sub.Name()].(type) {
			case map[string]any:
				walk(sub, sv)
			case common.Values:
				walk(sub, sv.AsMap())
			}
		}
	}
	top := map[string]any{}
	switch v := vals.(type) {
	case common.Values:
		top = v.AsMap()
	case map[string]any:
		top = v
	}
	walk(ch, top)
	if len(problems) > 0 {
		return fmt.Errorf("%s: %w: the values do not match the chart's schema: %s", src, ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// noRemoteLoader refuses every schema reference outside the schema.
type noRemoteLoader struct{}

func (noRemoteLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%w: the schema refers to %s; only references within values.schema.json are supported", ErrRemote, url)
}

func validateSchema(schemaJSON []byte, vals map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot validate: %v", r)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return fmt.Errorf("not valid JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noRemoteLoader{})
	const url = "file:///values.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return err
	}
	sch, err := c.Compile(url)
	if err != nil {
		return err
	}
	// The validator wants JSON-like values (float64, json.Number, int are
	// all accepted by jsonschema v6).
	if err := sch.Validate(toJSONValue(vals)); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%s", strings.TrimSpace(strings.Join(validationLeaves(ve), "; ")))
		}
		return err
	}
	return nil
}

// validationLeaves flattens a validation error to "at /image/tag: got number, want string".
func validationLeaves(ve *jsonschema.ValidationError) []string {
	if len(ve.Causes) == 0 {
		loc := "/" + strings.Join(ve.InstanceLocation, "/")
		return []string{fmt.Sprintf("at %s: %s", loc, ve.ErrorKind.LocalizedString(message.NewPrinter(language.English)))}
	}
	var out []string
	for _, c := range ve.Causes {
		out = append(out, validationLeaves(c)...)
	}
	return out
}

// toJSONValue converts Helm values (which may hold int64, []string ...) to
// what the validator expects, through a JSON round trip's shapes.
func toJSONValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = toJSONValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = toJSONValue(e)
		}
		return l
	}
	return v
}
