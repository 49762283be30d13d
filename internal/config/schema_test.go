package config

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestSchemaCurrent keeps the embedded schema equal to what the model types
// and rules generate; run with -update after changing either.
func TestSchemaCurrent(t *testing.T) {
	t.Parallel()
	got, err := generateSchema()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("schema", "gennaker.schema.json"), got)
	if !json.Valid(Schema()) {
		t.Fatal("Schema() is not valid JSON")
	}
}

// schemaDef returns $defs[name] of the schema as compact JSON.
func schemaDef(t *testing.T, name string) string {
	t.Helper()
	var schema struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, schema.Defs[name]); err != nil {
		t.Fatalf("$defs.%s: %v", name, err)
	}
	return compact.String()
}

// wantSchemaDefs fails unless each $defs entry named holds its JSON text.
func wantSchemaDefs(t *testing.T, want map[string]string) {
	t.Helper()
	for def, w := range want {
		if got := schemaDef(t, def); !strings.Contains(got, w) {
			t.Errorf("$defs.%s = %s, want it to hold %s", def, got, w)
		}
	}
}

// TestSchemaHasEveryKind: each kind the decoder reads has its document in
// the schema, and the rules on the access kinds' subjects and scopes are there.
func TestSchemaHasEveryKind(t *testing.T) {
	t.Parallel()
	var schema struct {
		OneOf []struct {
			Title string `json:"title"`
		} `json:"oneOf"`
	}
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, d := range schema.OneOf {
		titles = append(titles, d.Title)
	}
	if want := append(slices.Clone(kinds), openSLOKinds...); !slices.Equal(titles, want) {
		t.Errorf("schema documents %v, want one per kind %v", titles, want)
	}
	wantSchemaDefs(t, map[string]string{
		"Subject": `"oneOf":[{"required":["team"]},{"required":["user"]}]`,
		"Scope":   `"not":{"anyOf":[{"required":["team","application"]}]}`,
	})
}

// TestSchemaCoversExamples checks that every field name written in the
// testdata examples is a property the schema allows at that place, so the
// schema and the decoder agree on names.
func TestSchemaCoversExamples(t *testing.T) {
	t.Parallel()
	var schema map[string]any
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", schema["$schema"])
	}
	s := schemaWalker{root: schema}
	checked := 0
	err := filepath.WalkDir(filepath.Join("testdata", "valid"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc yaml.Node
			if dec.Decode(&doc) != nil {
				break
			}
			if len(doc.Content) == 0 || isNull(doc.Content[0]) {
				continue
			}
			root := doc.Content[0]
			kind := ""
			for i := 0; i+1 < len(root.Content); i += 2 {
				if root.Content[i].Value == "kind" {
					kind = root.Content[i+1].Value
				}
			}
			for _, alt := range schema["oneOf"].([]any) {
				if alt.(map[string]any)["title"] == kind {
					checked += s.check(t, path, alt.(map[string]any), root, "")
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Errorf("checked only %d field names; is testdata/valid complete?", checked)
	}
}

type schemaWalker struct{ root map[string]any }

// resolve follows $ref and merges anyOf alternatives that are objects.
func (s schemaWalker) resolve(node map[string]any) map[string]any {
	if ref, ok := node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		return s.resolve(s.root["$defs"].(map[string]any)[name].(map[string]any))
	}
	if alts, ok := node["anyOf"].([]any); ok {
		for _, a := range alts {
			if r := s.resolve(a.(map[string]any)); r["type"] != "null" {
				return r
			}
		}
	}
	return node
}

// check walks n against schema node sch and returns how many keys it checked.
func (s schemaWalker) check(t *testing.T, file string, sch map[string]any, n *yaml.Node, path string) int {
	t.Helper()
	sch = s.resolve(sch)
	count := 0
	switch n.Kind {
	case yaml.MappingNode:
		props, isStruct := sch["properties"].(map[string]any)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			if !isStruct {
				if sub, ok := sch["additionalProperties"].(map[string]any); ok {
					count += s.check(t, file, sub, val, path+"."+key)
				}
				continue
			}
			sub, ok := props[key].(map[string]any)
			if !ok {
				t.Errorf("%s:%d: field %s%s is not in the schema", file, n.Content[i].Line, path, "."+key)
				continue
			}
			count++
			count += s.check(t, file, sub, val, path+"."+key)
		}
	case yaml.SequenceNode:
		if items, ok := sch["items"].(map[string]any); ok {
			for _, item := range n.Content {
				count += s.check(t, file, items, item, path+"[]")
			}
		}
	}
	return count
}
