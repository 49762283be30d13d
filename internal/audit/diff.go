package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Change is one field of a config object that an apply changed.
type Change struct {
	Path string `json:"path"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

// maxChanges bounds the changes kept per object; the rest are counted.
const maxChanges = 200

// maxValueBytes bounds one recorded value (a long manifest template is
// recorded as its size, not its text).
const maxValueBytes = 2048

// Diff compares two values of a config kind by their JSON and returns the
// changed fields (dotted paths, list items by index), sorted by path.
// old == nil means the object is new.
func Diff(old, new any) []Change {
	var a, b any
	if old != nil {
		a = toJSON(old)
	}
	b = toJSON(new)
	var out []Change
	diff("", a, b, &out)
	slices.SortFunc(out, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
	if len(out) > maxChanges {
		n := len(out) - maxChanges
		out = append(out[:maxChanges], Change{Path: "…", New: fmt.Sprintf("%d more changes", n)})
	}
	return out
}

func toJSON(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

func diff(path string, a, b any, out *[]Change) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			diff(join(path, k), am[k], bm[k], out)
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			diff(fmt.Sprintf("%s[%d]", path, i), al[i], bl[i], out)
		}
		return
	}
	if reflect.DeepEqual(a, b) {
		return
	}
	*out = append(*out, Change{Path: orRoot(path), Old: bounded(a), New: bounded(b)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func bounded(v any) any {
	if v == nil {
		return nil
	}
	raw, _ := json.Marshal(v)
	if len(raw) > maxValueBytes {
		return fmt.Sprintf("(%d bytes)", len(raw))
	}
	return v
}
