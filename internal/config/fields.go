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
// leaving out those named in exclude.
func structFields(t reflect.Type, exclude map[string]string) []field {
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
