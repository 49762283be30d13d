package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/gennaker/gennaker/internal/model"
)

// Parse decodes every document of one YAML file, fills defaults and checks
// each object on its own. References between objects (a pipeline's
// application, a deploy's environment) are checked by LoadFiles and LoadDir.
// Empty documents are skipped. The error, when not nil, is an *Errors; every
// document whose kind could be read is returned with it, decoded as far as it
// could be, so tools can still list what a broken file holds.
func Parse(filename string, data []byte) ([]Document, error) {
	var errs Errors
	docs := parse(filename, data, &errs)
	return docs, errs.err()
}

func parse(filename string, data []byte, errs *Errors) []Document {
	var docs []Document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var root yaml.Node
		err := decodeNode(dec, &root)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			errs.List = append(errs.List, syntaxError(filename, data, err))
			return docs
		}
		if doc, ok := parseDocument(filename, &root, errs); ok {
			docs = append(docs, doc)
		}
	}
}

// decodeNode reads the next YAML document, turning a panic of the YAML
// library into an error so bad input can never crash the caller.
func decodeNode(dec *yaml.Decoder, root *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(root)
}

// header is the Kubernetes-shaped frame of a document.
type header struct {
	apiVersion, kind *yaml.Node
	metadata, spec   *yaml.Node
	// openSLO is set for apiVersion openslo/v1 (openslo.go).
	openSLO bool
}

var headerFields = []string{"apiVersion", "kind", "metadata", "spec"}

var kindTypes = map[string]reflect.Type{
	model.KindApplication: reflect.TypeFor[model.Application](),
	model.KindEnvironment: reflect.TypeFor[model.Environment](),
	model.KindPipeline:    reflect.TypeFor[model.Pipeline](),
	// A template's spec is the analysis config; its name goes beside it.
	model.KindAnalysisTemplate: reflect.TypeFor[model.AnalysisSpec](),
	model.KindTeam:             reflect.TypeFor[model.Team](),
	model.KindGrant:            reflect.TypeFor[model.Grant](),
	model.KindNotification:     reflect.TypeFor[model.Notification](),
}

// kinds lists every kind, in the order messages, docs and the schema show them.
var kinds = []string{
	model.KindApplication, model.KindEnvironment, model.KindPipeline, model.KindAnalysisTemplate,
	model.KindTeam, model.KindGrant, model.KindNotification,
}

// kindList names every kind for messages: "Application, ... or Grant".
func kindList() string { return joinOr(kinds) }

// parseDocument decodes one document. ok is false for empty documents and
// for documents too broken to name.
func parseDocument(filename string, root *yaml.Node, errs *Errors) (Document, bool) {
	doc := Document{File: filename, pos: positions{}}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return doc, false
	}
	n := root.Content[0]
	doc.Line, doc.Column = n.Line, n.Column
	if isNull(n) {
		return doc, false
	}
	var docErrs []Error
	report := func(p position, path, msg string) {
		docErrs = append(docErrs, Error{File: filename, Line: p.Line, Column: p.Column, Field: path, Message: msg})
	}
	defer func() {
		for i := range docErrs {
			docErrs[i].Object = doc.Object()
		}
		errs.List = append(errs.List, capErrors(docErrs)...)
	}()
	dec := &decoder{report: report, pos: doc.pos, bad: map[string]bool{}, start: nodePos(n)}
	h, ok := readHeader(dec, n)
	if !ok {
		return doc, false
	}
	doc.Kind = h.kind.Value
	if h.openSLO {
		parseOpenSLO(&doc, dec, h, n) // openslo_parse.go
		if !dec.tooBig {
			for _, e := range validateOpenSLO(&doc) {
				if !underBadValue(e.Field, dec.bad) {
					docErrs = append(docErrs, e)
				}
			}
		}
		return doc, true
	}

	var meta metadata
	if h.metadata == nil {
		report(nodePos(n), "", "missing metadata: write metadata: {name: ...}")
	} else {
		dec.decode(h.metadata, "metadata", reflect.ValueOf(&meta).Elem(), nil)
	}
	doc.Name = meta.Name
	if meta.Labels != nil && !kindsWithLabels[doc.Kind] {
		report(doc.pos.at("metadata.labels"), "metadata.labels", "only Applications keep labels: remove them")
	}

	obj := reflect.New(kindTypes[doc.Kind])
	spec := h.spec
	if spec == nil {
		spec = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	}
	dec.decode(spec, "spec", obj.Elem(), specExcluded[doc.Kind])
	if f := obj.Elem().FieldByName("Name"); f.IsValid() {
		f.SetString(meta.Name)
	}
	switch o := obj.Interface().(type) {
	case *model.AnalysisSpec:
		doc.AnalysisTemplate = &model.AnalysisTemplate{Name: meta.Name, Spec: *o}
	case *model.Application:
		o.Labels = meta.Labels
		doc.Application = o
	case *model.Environment:
		doc.Environment = o
	case *model.Pipeline:
		doc.Pipeline = o
	case *model.Team:
		doc.Team = o
	case *model.Grant:
		doc.Grant = o
	case *model.Notification:
		doc.Notification = o
	}
	if dec.tooBig {
		return doc, true // validating a truncated object would only add noise
	}
	for _, e := range validateDocument(&doc) {
		if !underBadValue(e.Field, dec.bad) {
			docErrs = append(docErrs, e)
		}
	}
	applyDefaults(&doc)
	return doc, true
}

// readHeader checks apiVersion and kind and finds metadata and spec.
func readHeader(dec *decoder, n *yaml.Node) (header, bool) {
	var h header
	if n.Kind != yaml.MappingNode {
		dec.report(nodePos(n), "", fmt.Sprintf("expected a mapping with apiVersion, kind, metadata and spec, found %s", describe(n)))
		return h, false
	}
	for _, kv := range dec.pairs(n, "") {
		val := dec.resolve(kv.value, kv.key.Value)
		if val == nil {
			return h, false
		}
		switch kv.key.Value {
		case "apiVersion":
			h.apiVersion = val
		case "kind":
			h.kind = val
		case "metadata":
			h.metadata = val
		case "spec":
			h.spec = val
		default:
			dec.unknownField(kv.key, "", kv.key.Value, []field{{name: "apiVersion"}, {name: "kind"}, {name: "metadata"}, {name: "spec"}}, nil)
		}
	}
	ok := true
	h.openSLO = h.apiVersion != nil && h.apiVersion.Kind == yaml.ScalarNode && h.apiVersion.Value == model.OpenSLOAPIVersion
	switch {
	case h.apiVersion == nil:
		dec.report(nodePos(n), "", fmt.Sprintf("missing apiVersion: write apiVersion: %s (or %s for OpenSLO kinds)", model.APIVersion, model.OpenSLOAPIVersion))
	case h.openSLO:
	case h.apiVersion.Kind != yaml.ScalarNode || h.apiVersion.Value != model.APIVersion:
		dec.report(nodePos(h.apiVersion), "apiVersion", fmt.Sprintf("%s is not supported: write apiVersion: %s (or %s for OpenSLO kinds)", describe(h.apiVersion), model.APIVersion, model.OpenSLOAPIVersion))
	}
	allowed, list := kinds, kindList()
	if h.openSLO {
		allowed, list = openSLOKinds, joinOr(openSLOKinds)
	}
	switch {
	case h.kind == nil:
		dec.report(nodePos(n), "", "missing kind: write kind: "+list)
		ok = false
	case h.kind.Kind == yaml.ScalarNode && !h.openSLO && slices.Contains(openSLOKinds, h.kind.Value):
		dec.report(nodePos(h.kind), "kind", fmt.Sprintf("%s is an OpenSLO kind: write apiVersion: %s", h.kind.Value, model.OpenSLOAPIVersion))
		ok = false
	case h.kind.Kind == yaml.ScalarNode && h.openSLO && slices.Contains(kinds, h.kind.Value):
		dec.report(nodePos(h.kind), "kind", fmt.Sprintf("%s is a gennaker kind: write apiVersion: %s", h.kind.Value, model.APIVersion))
		ok = false
	case h.kind.Kind != yaml.ScalarNode || !slices.Contains(allowed, h.kind.Value):
		msg := fmt.Sprintf("unknown kind %s: use %s", describe(h.kind), list)
		if s := didYouMean(h.kind.Value, allowed); s != "" {
			msg = fmt.Sprintf("unknown kind %s%s", describe(h.kind), s)
		}
		dec.report(nodePos(h.kind), "kind", msg)
		ok = false
	}
	return h, ok
}

// underBadValue reports whether path or one of its parents failed to decode.
func underBadValue(path string, bad map[string]bool) bool {
	for ; path != ""; path = parentPath(path) {
		if bad[path] {
			return true
		}
	}
	return false
}

// maxErrorsPerDocument bounds what one document reports; past it, the
// document is probably not a gennaker document at all.
const maxErrorsPerDocument = 50

// capErrors keeps the first maxErrorsPerDocument problems (by position) and
// says how many more there were.
func capErrors(list []Error) []Error {
	if len(list) <= maxErrorsPerDocument {
		return list
	}
	e := Errors{List: list}
	e.sort()
	more := len(e.List) - maxErrorsPerDocument
	last := e.List[maxErrorsPerDocument-1]
	return append(e.List[:maxErrorsPerDocument:maxErrorsPerDocument], Error{
		File: last.File, Line: last.Line, Column: last.Column, Object: last.Object,
		Message: fmt.Sprintf("and %d more problems in this document: fix these first", more),
	})
}
