package config

import (
	"reflect"

	"gopkg.in/yaml.v3"
)

// parseOpenSLO decodes an OpenSLO document's metadata and spec (header
// already read) into doc.OpenSLO.
func parseOpenSLO(doc *Document, dec *decoder, h header, n *yaml.Node) {
	o := &OpenSLODocument{}
	if h.metadata == nil {
		dec.report(nodePos(n), "", "missing metadata: write metadata: {name: ...}")
	} else {
		dec.decode(h.metadata, "metadata", reflect.ValueOf(&o.Metadata).Elem(), nil)
	}
	doc.Name = o.Metadata.Name
	spec := h.spec
	if spec == nil {
		spec = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	}
	v := reflect.New(openSLOTypes[doc.Kind])
	dec.decode(spec, "spec", v.Elem(), nil)
	o.Spec = v.Interface()
	doc.OpenSLO = o
}
