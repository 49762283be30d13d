package config

import (
	"encoding/json"
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/gennaker/gennaker/internal/model"
)

// A model.Object (such as a job check's Kubernetes Job spec) is any YAML
// mapping that JSON can hold; its own schema is checked by the code that
// knows it, with the positions recorded here.

var objectType = reflect.TypeFor[model.Object]()

// object decodes a free-form mapping at path, recording the position of
// every field under it so later checks can point inside it.
func (d *decoder) object(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping")
		return
	}
	d.objectPositions(n, path, 0)
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		d.badValue(n, path, fmt.Sprintf("cannot read the mapping: %v", err))
		return
	}
	if _, err := json.Marshal(m); err != nil {
		d.badValue(n, path, fmt.Sprintf("cannot hold it as JSON (%v): keys must be strings", err))
		return
	}
	v.Set(reflect.ValueOf(model.Object(m)))
}

// objectPositions records where each key and list item under n is.
func (d *decoder) objectPositions(n *yaml.Node, path string, depth int) {
	if depth > 64 {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := fieldPath(path, n.Content[i].Value)
			d.pos[p] = nodePos(n.Content[i])
			d.objectPositions(n.Content[i+1], p, depth+1)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := indexPath(path, i)
			d.pos[p] = nodePos(c)
			d.objectPositions(c, p, depth+1)
		}
	}
}

// objectSchema is the JSON Schema of a model.Object.
func objectSchema() jsonSchema {
	return jsonSchema{"type": "object", "description": "a Kubernetes object's fields, checked against its own schema when the config is loaded"}
}
