package config

import (
	"bytes"
	"errors"
	"io"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/gennaker/gennaker/internal/model"
)

// ParseAnalysis reads an analysis config on its own, written like a
// canary's `analysis:` block (judge, metrics, groups, thresholds, ...), for
// `gennaker analysis replay --config FILE`. Errors carry file:line:column and
// the field, like every config error.
func ParseAnalysis(filename string, data []byte) (model.AnalysisSpec, error) {
	var spec model.AnalysisSpec
	var errs Errors
	var root yaml.Node
	err := decodeNode(yaml.NewDecoder(bytes.NewReader(data)), &root)
	if errors.Is(err, io.EOF) || (err == nil && (len(root.Content) == 0 || isNull(root.Content[0]))) {
		return spec, &Errors{List: []Error{{File: filename, Line: 1, Column: 1, Message: "the file is empty: write an analysis config such as {metrics: [{name: error-rate, query: error_rate, direction: increase}]}"}}}
	}
	if err != nil {
		errs.List = append(errs.List, syntaxError(filename, err))
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
		for _, e := range checkAnalysisMetrics(doc, "", spec) {
			e.Object = "analysis config"
			errs.List = append(errs.List, e)
		}
	}
	return spec, errs.err()
}
