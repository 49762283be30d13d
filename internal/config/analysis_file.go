package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/gennaker/gennaker/internal/model"
)

// ParseAnalysis reads an analysis config on its own, for `gennaker judge`
// and `gennaker analysis replay --config FILE`: an AnalysisTemplate document
// (the file may hold other documents, which are ignored; it must hold
// exactly one template), or a bare block written like a canary's
// `analysis:` (judge, metrics, groups, thresholds, ...). Errors carry
// file:line:column and the field, like every config error.
func ParseAnalysis(filename string, data []byte) (model.AnalysisSpec, error) {
	if looksLikeDocuments(data) {
		return parseTemplateFile(filename, data)
	}
	var spec model.AnalysisSpec
	var errs Errors
	var root yaml.Node
	err := decodeNode(yaml.NewDecoder(bytes.NewReader(data)), &root)
	if errors.Is(err, io.EOF) || (err == nil && (len(root.Content) == 0 || isNull(root.Content[0]))) {
		return spec, &Errors{List: []Error{{File: filename, Line: 1, Column: 1, Message: "the file is empty: write an analysis config such as {metrics: [{name: error-rate, query: error_rate, direction: increase}]}"}}}
	}
	if err != nil {
		errs.List = append(errs.List, syntaxError(filename, data, err))
		return spec, errs.err()
	}
	n := root.Content[0]
	pos := positions{}
	report := func(p position, path, msg string) {
		errs.List = append(errs.List, Error{File: filename, Line: p.Line, Column: p.Column, Object: "analysis config", Field: path, Message: msg})
	}
	dec := &decoder{report: report, pos: pos, bad: map[string]bool{}, start: nodePos(n)}
	dec.decode(n, "", reflect.ValueOf(&spec).Elem(), nil)
	if len(errs.List) == 0 {
		doc := &Document{File: filename, Line: n.Line, Column: n.Column, Kind: "AnalysisConfig", Name: filename, pos: pos}
		for _, e := range append(checkAnalysisMetrics(doc, "", spec), checkAnalysisChecks(doc, "", spec)...) {
			e.Object = "analysis config"
			errs.List = append(errs.List, e)
		}
	}
	return spec, errs.err()
}

// looksLikeDocuments reports whether data's first document is a
// Kubernetes-shaped config document (it has a kind) rather than a bare block.
func looksLikeDocuments(data []byte) bool {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil || len(root.Content) == 0 {
		return false
	}
	n := root.Content[0]
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			return true
		}
	}
	return false
}

func parseTemplateFile(filename string, data []byte) (model.AnalysisSpec, error) {
	docs, err := Parse(filename, data)
	if err != nil {
		return model.AnalysisSpec{}, err
	}
	var found []*Document
	for i := range docs {
		if docs[i].AnalysisTemplate != nil {
			found = append(found, &docs[i])
		}
	}
	switch len(found) {
	case 1:
		return found[0].AnalysisTemplate.Spec, nil
	case 0:
		return model.AnalysisSpec{}, &Errors{List: []Error{{File: filename, Line: 1, Column: 1,
			Message: "no AnalysisTemplate in this file: write one (kind: AnalysisTemplate, spec: {metrics: [...], thresholds: {...}}), or a bare analysis block without kind"}}}
	default:
		second := found[1]
		return model.AnalysisSpec{}, &Errors{List: []Error{{File: filename, Line: second.Line, Column: second.Column, Object: second.Object(),
			Message: fmt.Sprintf("this file holds %d AnalysisTemplates (the first is %s at line %d): keep one per file to judge or replay with", len(found), found[0].Object(), found[0].Line)}}}
	}
}
