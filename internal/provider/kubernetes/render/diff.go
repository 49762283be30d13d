package render

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// ChangeType says how an object differs between two sets.
type ChangeType string

const (
	// Added: the object is only in the new set.
	Added ChangeType = "added"
	// Removed: the object is only in the old set.
	Removed ChangeType = "removed"
	// Changed: the object is in both sets with different content.
	Changed ChangeType = "changed"
)

// Change is one object that differs between two sets.
type Change struct {
	Type ChangeType
	Key  Key
	// Fields lists the changed fields of a Changed object as paths such as
	// "spec.template.spec.containers[0].image" or `metadata.labels["app"]`,
	// sorted; a field added or removed is listed too.
	Fields []string
}

func (c Change) String() string {
	if c.Type != Changed {
		return fmt.Sprintf("%s %s", c.Type, c.Key)
	}
	return fmt.Sprintf("%s %s: %s", c.Type, c.Key, strings.Join(c.Fields, ", "))
}

// Diff names the objects added, removed and changed from old to new, in
// [Sort] order (removed objects in the old set's order, after the others).
func Diff(old, new []Object) []Change {
	oldByKey := make(map[Key]Object, len(old))
	for _, o := range old {
		oldByKey[o.Key()] = o
	}
	sortedNew := slices.Clone(new)
	Sort(sortedNew)
	var changes []Change
	seen := make(map[Key]bool, len(new))
	for _, n := range sortedNew {
		k := n.Key()
		seen[k] = true
		o, ok := oldByKey[k]
		if !ok {
			changes = append(changes, Change{Type: Added, Key: k})
			continue
		}
		var fields []string
		diffValue("", o.Object, n.Object, &fields)
		if len(fields) > 0 {
			slices.Sort(fields)
			changes = append(changes, Change{Type: Changed, Key: k, Fields: fields})
		}
	}
	sortedOld := slices.Clone(old)
	Sort(sortedOld)
	for _, o := range sortedOld {
		if k := o.Key(); !seen[k] {
			changes = append(changes, Change{Type: Removed, Key: k})
		}
	}
	return changes
}

// diffValue appends the paths under path where a and b differ. Maps are
// compared key by key and lists index by index; anything else as a whole.
func diffValue(path string, a, b any, out *[]string) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := slices.Sorted(maps.Keys(av))
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			diffValue(fieldPath(path, k), av[k], bv[k], out)
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		for i := range max(len(av), len(bv)) {
			var x, y any
			if i < len(av) {
				x = av[i]
			}
			if i < len(bv) {
				y = bv[i]
			}
			diffValue(fmt.Sprintf("%s[%d]", path, i), x, y, out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, path)
	}
}

func fieldPath(parent, key string) string {
	simple := key != "" && strings.IndexFunc(key, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
	if !simple {
		q, _ := json.Marshal(key)
		return parent + "[" + string(q) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}
