package config

import (
	_ "embed"
	"encoding/json"
	"reflect"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

//go:embed schema/gennaker.schema.json
var schemaJSON []byte

// Schema returns a JSON Schema (draft 2020-12) of gennaker's config
// documents, for editors. It is generated from the same model types and
// rules the decoder uses (see generateSchema; a test keeps the embedded file
// current). Cross-object rules, such as references between objects, are
// checked only by the loader.
func Schema() []byte { return slices.Clone(schemaJSON) }

// SchemaID is the $id of the schema.
const SchemaID = "https://gennaker.dev/schemas/v1alpha1/gennaker.schema.json"

// durationPattern matches what model.ParseDuration accepts (without a sign).
const durationPattern = `^(0|([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`

type jsonSchema = map[string]any

// generateSchema builds the schema document by reflection over the model types.
func generateSchema() ([]byte, error) {
	g := &schemaGen{defs: jsonSchema{}}
	var docs []any
	for _, kind := range kinds {
		docs = append(docs, g.document(kind))
	}
	for _, kind := range openSLOKinds {
		docs = append(docs, g.openSLODocument(kind))
	}
	root := jsonSchema{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "gennaker config document",
		"description": "One gennaker config document, of kind " + kindList() + ", or an OpenSLO v1 document of kind " + joinOr(openSLOKinds) + ".",
		"type":        "object",
		"oneOf":       docs,
		"$defs":       g.defs,
	}
	out, err := json.MarshalIndent(root, "", "  ")
	return append(out, '\n'), err
}

type schemaGen struct{ defs jsonSchema }

func (g *schemaGen) document(kind string) jsonSchema {
	meta := g.structSchema(reflect.TypeFor[metadata](), nil)
	if !kindsWithLabels[kind] {
		delete(meta["properties"].(jsonSchema), "labels")
	}
	return jsonSchema{
		"title":                kind,
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"apiVersion", "kind", "metadata"},
		"properties": jsonSchema{
			"apiVersion": jsonSchema{"const": model.APIVersion},
			"kind":       jsonSchema{"const": kind},
			"metadata":   meta,
			"spec":       g.structSchema(kindTypes[kind], specExcluded[kind]),
		},
	}
}

// openSLODocument is the schema of an OpenSLO v1 document (openslo.go).
func (g *schemaGen) openSLODocument(kind string) jsonSchema {
	return jsonSchema{
		"title":                kind,
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"apiVersion", "kind", "metadata", "spec"},
		"properties": jsonSchema{
			"apiVersion": jsonSchema{"const": model.OpenSLOAPIVersion},
			"kind":       jsonSchema{"const": kind},
			"metadata":   g.of(reflect.TypeFor[osloMetadata]()),
			"spec":       g.of(openSLOTypes[kind]),
		},
	}
}

// of returns the schema of a Go type; named structs go to $defs.
func (g *schemaGen) of(t reflect.Type) jsonSchema {
	switch t {
	case durationType:
		return jsonSchema{"type": "string", "pattern": durationPattern, "description": "a duration such as 30s, 5m or 1h30m"}
	case stringOrSecretType:
		return g.stringOrSecret() // secret.go
	case portRefType:
		return jsonSchema{"anyOf": []any{
			jsonSchema{"type": "integer", "minimum": 1, "maximum": 65535},
			jsonSchema{"type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$"},
		}, "description": "a container port by number or by name"}
	case objectType:
		return objectSchema() // object.go
	case shorthandType:
		return shorthandSchema() // openslo_rules.go
	}
	switch t.Kind() {
	case reflect.Pointer:
		if t.Elem().Kind() == reflect.Struct {
			// "noop:" with no value selects an empty block.
			return jsonSchema{"anyOf": []any{g.of(t.Elem()), jsonSchema{"type": "null"}}}
		}
		return g.of(t.Elem())
	case reflect.Struct:
		name := t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = true // placeholder against recursion
			g.defs[name] = g.structSchema(t, nil)
		}
		return jsonSchema{"$ref": "#/$defs/" + name}
	case reflect.Slice:
		return jsonSchema{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return jsonSchema{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.String:
		return jsonSchema{"type": "string"}
	case reflect.Bool:
		return jsonSchema{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return jsonSchema{"type": "integer"}
	case reflect.Float64:
		return jsonSchema{"type": "number"}
	}
	panic("config: no schema for " + t.String())
}

func (g *schemaGen) structSchema(t reflect.Type, exclude map[string]string) jsonSchema {
	props := jsonSchema{}
	for _, f := range structFields(t, exclude) {
		s := g.of(t.Field(f.index).Type)
		if slices.Contains(secretOnly[t], f.name) {
			s = g.secretRefOnly()
		}
		if values, ok := fieldEnums[t][f.name]; ok {
			s = jsonSchema{"type": "string", "enum": values}
			if t.Field(f.index).Type.Kind() == reflect.Slice {
				s = jsonSchema{"type": "array", "items": s}
			}
		}
		if b, ok := fieldBounds[t][f.name]; ok {
			switch {
			case b.min != nil && b.exclusiveMinimum:
				s["exclusiveMinimum"] = *b.min
			case b.min != nil:
				s["minimum"] = *b.min
			}
			switch {
			case b.max != nil && b.exclusiveMaximum:
				s["exclusiveMaximum"] = *b.max
			case b.max != nil:
				s["maximum"] = *b.max
			}
		}
		props[f.name] = s
	}
	s := jsonSchema{"type": "object", "additionalProperties": false, "properties": props}
	if req := requiredFields[t]; len(req) > 0 {
		s["required"] = req
	}
	if one, ok := oneOfFields[t]; ok {
		s = oneOfSchema(s, one)
	}
	return s
}

// oneOfSchema adds one's rule to the struct schema s: exactly one of the
// fields is required, or, when the rule is optional, no two may be written.
func oneOfSchema(s jsonSchema, one oneOf) jsonSchema {
	var alts []any
	if !one.optional {
		for _, f := range one.fields {
			alts = append(alts, jsonSchema{"required": []string{f}})
		}
		s["oneOf"] = alts
		return s
	}
	for i, a := range one.fields {
		for _, b := range one.fields[i+1:] {
			alts = append(alts, jsonSchema{"required": []string{a, b}})
		}
	}
	s["not"] = jsonSchema{"anyOf": alts}
	return s
}
