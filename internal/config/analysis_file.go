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

// ParseAnalysis reads an analysis config on its own, for `gennaker analysis
// replay --config FILE`: an AnalysisTemplate document (the file may hold
// other documents, which are ignored; it must hold exactly one template), or
// a bare block written like a canary's `analysis:` (judge, metrics, groups,
// thresholds, ...). It is checked as a canary's analysis is, by `validate`
// and `apply`. Errors carry file:line:column and the field, like every
// config error.
func ParseAnalysis(filename string, data []byte) (model.AnalysisSpec, error) {
	spec, _, err := parseAnalysis(filename, data)
	return spec, err
}

// ParseOfflineAnalysis is ParseAnalysis for `gennaker judge`, which judges
// samples from files rather than a canary. Besides what ParseAnalysis
// checks, it refuses what only a canary can use: the threshold judge (it
// compares front-door counters, not samples) and groups in a config without
// metrics (judge then puts every metric of the files in the group default,
// so no weight would apply).
func ParseOfflineAnalysis(filename string, data []byte) (model.AnalysisSpec, error) {
	spec, at, err := parseAnalysis(filename, data)
	if err != nil {
		return spec, err
	}
	var errs Errors
	if spec.Judge == model.JudgeThreshold {
		errs.List = append(errs.List, at.errorf("judge", "judge: threshold compares front-door counters, not samples: remove it to judge the samples with the statistical judge"))
	}
	if len(spec.Metrics) == 0 && len(spec.Groups) > 0 {
		errs.List = append(errs.List, at.errorf("groups", "without metrics, judge compares every metric of the files in the group %q, so these weights apply to none of them: name the metrics and their groups (metrics: [{name: latency, group: latency}, ...]), or drop groups", model.DefaultGroup))
	}
	return spec, errs.err()
}

// analysisAt is where a parsed analysis config was written: its document
// and the path of the config in it ("spec" in a template, "" for a bare
// block), for errors found after parsing.
type analysisAt struct {
	doc  *Document
	path string
}

func (a analysisAt) errorf(field, format string, args ...any) Error {
	e := a.doc.errorf(joinPath(a.path, field), format, args...)
	if a.path == "" {
		e.Object = "analysis config"
	}
	return e
}

func parseAnalysis(filename string, data []byte) (model.AnalysisSpec, analysisAt, error) {
	if looksLikeDocuments(data) {
		return parseTemplateFile(filename, data)
	}
	var spec model.AnalysisSpec
	var errs Errors
	var root yaml.Node
	err := decodeNode(yaml.NewDecoder(bytes.NewReader(data)), &root)
	if errors.Is(err, io.EOF) || (err == nil && (len(root.Content) == 0 || isNull(root.Content[0]))) {
		return spec, analysisAt{}, &Errors{List: []Error{{File: filename, Line: 1, Column: 1, Message: "the file is empty: write an analysis config such as {metrics: [{name: error-rate, query: error_rate, direction: increase}]}"}}}
	}
	if err != nil {
		errs.List = append(errs.List, syntaxError(filename, data, err))
		return spec, analysisAt{}, errs.err()
	}
	n := root.Content[0]
	pos := positions{}
	report := func(p position, path, msg string) {
		errs.List = append(errs.List, Error{File: filename, Line: p.Line, Column: p.Column, Object: "analysis config", Field: path, Message: msg})
	}
	dec := &decoder{report: report, pos: pos, bad: map[string]bool{}, start: nodePos(n)}
	dec.decode(n, "", reflect.ValueOf(&spec).Elem(), nil)
	doc := &Document{File: filename, Line: n.Line, Column: n.Column, Kind: "AnalysisConfig", Name: filename, pos: pos}
	at := analysisAt{doc: doc}
	if len(errs.List) == 0 {
		for _, e := range checkAnalysisSpec(doc, "", spec) {
			e.Object = "analysis config"
			errs.List = append(errs.List, e)
		}
	}
	return spec, at, errs.err()
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

func parseTemplateFile(filename string, data []byte) (model.AnalysisSpec, analysisAt, error) {
	docs, err := Parse(filename, data)
	if err != nil {
		return model.AnalysisSpec{}, analysisAt{}, err
	}
	var found []*Document
	for i := range docs {
		if docs[i].AnalysisTemplate != nil {
			found = append(found, &docs[i])
		}
	}
	switch len(found) {
	case 1:
		return found[0].AnalysisTemplate.Spec, analysisAt{doc: found[0], path: "spec"}, nil
	case 0:
		return model.AnalysisSpec{}, analysisAt{}, &Errors{List: []Error{{File: filename, Line: 1, Column: 1,
			Message: "no AnalysisTemplate in this file: write one (kind: AnalysisTemplate, spec: {metrics: [...], thresholds: {...}}), or a bare analysis block without kind"}}}
	default:
		second := found[1]
		return model.AnalysisSpec{}, analysisAt{}, &Errors{List: []Error{{File: filename, Line: second.Line, Column: second.Column, Object: second.Object(),
			Message: fmt.Sprintf("this file holds %d AnalysisTemplates (the first is %s at line %d): keep one per file to judge or replay with", len(found), found[0].Object(), found[0].Line)}}}
	}
}
