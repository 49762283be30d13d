package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Manifest renders a set of objects as canonical YAML: sorted as [Sort]
// does, each object a document preceded by "# Source: <source>", keys in
// sorted order. The same set always renders to the same bytes, so
// executions can record it and compare it.
func Manifest(objs []Object) []byte {
	sorted := slices.Clone(objs)
	Sort(sorted)
	var b bytes.Buffer
	for _, o := range sorted {
		b.WriteString("---\n")
		if o.Source != "" {
			fmt.Fprintf(&b, "# Source: %s\n", o.Source)
		}
		y, err := yaml.Marshal(o.Object)
		if err != nil { // cannot happen for objects decoded from YAML or JSON
			fmt.Fprintf(&b, "# cannot render %s: %v\n", o.Key(), err)
			continue
		}
		b.Write(y)
	}
	return b.Bytes()
}

// ParseManifest reads back what [Manifest] wrote (or any multi-document
// YAML stream of Kubernetes objects), keeping each "# Source:" comment.
func ParseManifest(data []byte) ([]Object, error) {
	var objs []Object
	for _, d := range splitDocuments(string(data)) {
		source := "manifest"
		if s, ok := sourceComment(d.text); ok {
			source = s
		}
		got, err := decodeDocument(source, d, true)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

func sourceComment(doc string) (string, bool) {
	for line := range strings.Lines(doc) {
		line = strings.TrimSpace(line)
		if s, ok := strings.CutPrefix(line, "# Source: "); ok {
			return s, true
		}
		if line != "" && !strings.HasPrefix(line, "#") {
			break
		}
	}
	return "", false
}

// document is one YAML document of a file and the line it starts on.
type document struct {
	text string
	line int // 1-based line in the file where the document starts
}

// docSeparator splits YAML streams the way Helm does (releaseutil.SplitManifests).
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*`)

// splitDocuments splits a YAML stream into documents, dropping empty ones.
func splitDocuments(s string) []document {
	var docs []document
	start, line := 0, 1
	add := func(end int) {
		text := s[start:end]
		if strings.TrimSpace(text) != "" {
			trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
			skipped := strings.Count(text[:len(text)-len(trimmed)], "\n")
			docs = append(docs, document{text: trimmed, line: line + skipped})
		}
	}
	for _, m := range docSeparator.FindAllStringIndex(s, -1) {
		add(m[0])
		line += strings.Count(s[start:m[1]], "\n")
		start = m[1]
	}
	add(len(s))
	return docs
}

// decodeDocument turns one YAML document into objects: one, none for a
// document that is only comments or null, or the items of a v1 List.
// allowEmptyName is for manifests read back, where generated names are kept.
func decodeDocument(source string, d document, allowEmptyName bool) ([]Object, error) {
	js, err := yaml.YAMLToJSON([]byte(d.text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: rendered YAML does not parse: %s", source, ErrInvalid, yamlErrorContext(err, d))
	}
	js = bytes.TrimSpace(js)
	if len(js) == 0 || string(js) == "null" {
		return nil, nil
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name         string `json:"name"`
			GenerateName string `json:"generateName"`
		} `json:"metadata"`
		Items []json.RawMessage `json:"items"`
	}
	if js[0] != '{' {
		return nil, fmt.Errorf("%s: %w: the document at line %d is not a Kubernetes object (a YAML mapping with apiVersion and kind)", source, ErrInvalid, d.line)
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return nil, fmt.Errorf("%s: %w: the document at line %d: %v", source, ErrInvalid, d.line, err)
	}
	switch {
	case head.Kind == "":
		return nil, fmt.Errorf("%s: %w: the object at line %d has no kind", source, ErrInvalid, d.line)
	case head.APIVersion == "":
		return nil, fmt.Errorf("%s: %w: the %s at line %d has no apiVersion", source, ErrInvalid, head.Kind, d.line)
	case head.APIVersion == "v1" && head.Kind == "List":
		var objs []Object
		for i, item := range head.Items {
			got, err := decodeJSON(source, fmt.Sprintf("item %d of the List at line %d", i, d.line), item, allowEmptyName)
			if err != nil {
				return nil, err
			}
			objs = append(objs, got)
		}
		return objs, nil
	}
	o, err := decodeJSON(source, fmt.Sprintf("the %s at line %d", head.Kind, d.line), js, allowEmptyName)
	if err != nil {
		return nil, err
	}
	return []Object{o}, nil
}

func decodeJSON(source, where string, js []byte, allowEmptyName bool) (Object, error) {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		return Object{}, fmt.Errorf("%s: %w: %s: %v", source, ErrInvalid, where, err)
	}
	if u.GetName() == "" && !allowEmptyName {
		if u.GetGenerateName() != "" {
			return Object{}, fmt.Errorf("%s: %w: %s uses metadata.generateName, which cannot be applied declaratively: give it a metadata.name", source, ErrInvalid, where)
		}
		return Object{}, fmt.Errorf("%s: %w: %s has no metadata.name", source, ErrInvalid, where)
	}
	return Object{Unstructured: u, Source: source}, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlErrorContext adds the offending line's text and its line in the
// rendered file to a YAML parser error.
func yamlErrorContext(err error, d document) string {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return fmt.Sprintf("document at line %d: %s", d.line, msg)
	}
	n, _ := strconv.Atoi(m[1])
	lines := strings.Split(d.text, "\n")
	if n < 1 || n > len(lines) {
		return fmt.Sprintf("document at line %d: %s", d.line, msg)
	}
	return fmt.Sprintf("line %d of the rendered output: %s: %q", d.line+n-1, msg, lines[n-1])
}
