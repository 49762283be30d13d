package config

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// pair is one key and value of a mapping.
type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's entries with merge keys ("<<: *base") expanded,
// reporting duplicate and non-string keys. Written keys win over merged ones.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	var merged, own []pair
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergePairs(val, path)...)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!null" {
			d.report(nodePos(k), path, "keys must be plain names")
			continue
		}
		if prev, ok := first[k.Value]; ok {
			d.report(nodePos(k), path, fmt.Sprintf("%q is written twice (first at line %d): keep one", k.Value, prev.Line))
			continue
		}
		first[k.Value] = k
		own = append(own, pair{k, val})
	}
	out := make([]pair, 0, len(merged)+len(own))
	for _, p := range merged {
		if _, ok := first[p.key.Value]; !ok {
			first[p.key.Value] = p.key
			out = append(out, p)
		}
	}
	return append(out, own...)
}

// mergePairs returns the entries a merge key brings in: one mapping, or a list of them.
func (d *decoder) mergePairs(val *yaml.Node, path string) []pair {
	if d.merges >= maxMergeDepth {
		d.report(nodePos(val), path, "merge keys (<<) nest too deep or refer to themselves: merge a plain mapping")
		return nil
	}
	d.merges++
	defer func() { d.merges-- }()
	val = d.resolve(val, path)
	if val == nil {
		return nil
	}
	switch val.Kind {
	case yaml.MappingNode:
		return d.pairs(val, path)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range val.Content {
			item = d.resolve(item, path)
			if item == nil {
				continue
			}
			if item.Kind != yaml.MappingNode {
				d.report(nodePos(item), path, "a merge key (<<) takes a mapping or a list of mappings")
				continue
			}
			out = append(out, d.pairs(item, path)...)
		}
		return out
	}
	d.report(nodePos(val), path, "a merge key (<<) takes a mapping or a list of mappings")
	return nil
}
