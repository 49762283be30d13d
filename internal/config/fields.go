package config

import (
	"reflect"
	"strings"
)

// field is one YAML-visible field of a model struct.
type field struct {
	name  string // the json tag name, which is also the YAML name
	index int
}

// structFields lists the fields of t by json tag, in declaration order,
// leaving out those named in exclude or in typeExcluded for t.
func structFields(t reflect.Type, exclude map[string]string) []field {
	if ex, ok := typeExcluded[t]; ok {
		exclude = mergeHints(exclude, ex)
	}
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, skip := exclude[name]; skip {
			continue
		}
		out = append(out, field{name: name, index: i})
	}
	return out
}

func fieldNames(fs []field) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

func mergeHints(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
