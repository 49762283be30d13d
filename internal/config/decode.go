package config

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gennaker/gennaker/internal/model"
)

// maxNodes bounds the work of decoding one document, so a small file that
// expands aliases into a huge tree is rejected instead of exhausting memory.
const maxNodes = 200_000

// maxMergeDepth bounds nested merge keys, which may also form a cycle.
const maxMergeDepth = 16

// decoder walks a yaml.Node tree against a Go value by the json tags of its
// struct fields, strictly: unknown fields, wrong YAML types, missing required
// fields and bad enum values are all reported, and decoding goes on after
// each problem so one pass finds them all.
type decoder struct {
	report func(pos position, path, msg string)
	pos    positions
	// bad holds the paths whose values could not be decoded, so validation
	// does not pile a second complaint onto the same field.
	bad    map[string]bool
	merges int      // depth of merge keys being expanded
	start  position // where the document starts
	nodes  int
	tooBig bool
}

// decode fills v (addressable) from n. exclude names fields of a top-level
// struct that may not be written, with the hint to give.
func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value, exclude map[string]string) {
	n = d.resolve(n, path)
	if n == nil {
		return
	}
	d.pos[path] = nodePos(n)
	if isNull(n) {
		if v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct {
			// "noop:" with nothing after it still selects the noop block.
			v.Set(reflect.New(v.Type().Elem()))
		}
		return
	}
	switch v.Type() {
	case durationType:
		d.duration(n, path, v)
		return
	case stringOrSecretType:
		d.stringOrSecret(n, path, v) // secret.go
		return
	case portRefType:
		d.portRef(n, path, v)
		return
	case objectType:
		d.object(n, path, v) // object.go
		return
	case shorthandType:
		d.shorthand(n, path, v) // openslo_rules.go
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, path, v.Elem(), exclude)
	case reflect.Struct:
		d.structure(n, path, v, exclude)
	case reflect.Slice:
		d.sequence(n, path, v)
	case reflect.Map:
		d.mapping(n, path, v)
	case reflect.String:
		d.str(n, path, v)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.wrongType(n, path, "true or false")
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.wrongType(n, path, "true or false")
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.wrongType(n, path, "a whole number")
			return
		}
		var i int64
		if err := n.Decode(&i); err != nil || v.OverflowInt(i) {
			d.badValue(n, path, fmt.Sprintf("%s is too large", n.Value))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") {
			d.wrongType(n, path, "a number")
			return
		}
		var f float64
		if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.badValue(n, path, fmt.Sprintf("%s is not a finite number: write a number such as 0.05", n.Value))
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("config: no decoding for %s at %s", v.Type(), path))
	}
}

// resolve follows aliases and counts nodes against the budget. It returns
// nil when decoding should stop.
func (d *decoder) resolve(n *yaml.Node, path string) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			d.report(nodePos(n), path, "alias refers to itself")
			return nil
		}
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	d.nodes++
	if d.nodes > maxNodes {
		if !d.tooBig {
			d.tooBig = true
			// Reported at the document's start, ahead of whatever else it has.
			d.report(d.start, "", fmt.Sprintf("the document expands to more than %d YAML nodes (at %s, line %d): split it or use fewer aliases", maxNodes, cmp.Or(path, "the top"), n.Line))
		}
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the YAML type of n for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int":
		return "the number " + n.Value
	case "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%q", n.Value)
}

func (d *decoder) wrongType(n *yaml.Node, path, want string) {
	msg := fmt.Sprintf("expected %s, found %s", want, describe(n))
	if want == "a string" && n.Kind == yaml.ScalarNode {
		msg += fmt.Sprintf(": quote it to make it a string, such as %q", n.Value)
	}
	d.badValue(n, path, msg)
}

// badValue reports a value that could not be decoded.
func (d *decoder) badValue(n *yaml.Node, path, msg string) {
	if d.bad != nil {
		d.bad[path] = true
	}
	d.report(nodePos(n), path, msg)
}

func (d *decoder) duration(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, path, "a duration such as 30s, 5m or 1h")
		return
	}
	dur, err := model.ParseDuration(n.Value)
	if err != nil {
		d.badValue(n, path, err.Error())
		return
	}
	v.SetInt(int64(dur))
}

var portRefType = reflect.TypeFor[model.PortRef]()

// portRef reads a port number or the name of a container port.
func (d *decoder) portRef(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, path, "a port number or the name of a container port")
		return
	}
	var ref model.PortRef
	if n.ShortTag() == "!!int" {
		num, err := strconv.Atoi(n.Value)
		if err != nil {
			d.badValue(n, path, "not a port number: use 1 to 65535")
			return
		}
		ref.Number = num
	} else if err := ref.UnmarshalJSON(strconv.AppendQuote(nil, n.Value)); err != nil {
		d.badValue(n, path, err.Error())
		return
	}
	v.Set(reflect.ValueOf(ref))
}

func (d *decoder) str(n *yaml.Node, path string, v reflect.Value) {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!str" && tag != "!!timestamp") {
		d.wrongType(n, path, "a string")
		return
	}
	v.SetString(n.Value)
}

func (d *decoder) sequence(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, path, "a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, indexPath(path, i), s.Index(i), nil)
	}
	v.Set(s)
}

func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping of names to values")
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, kv := range d.pairs(n, path) {
		elem := reflect.New(v.Type().Elem()).Elem()
		p := fieldPath(path, kv.key.Value)
		d.decode(kv.value, p, elem, nil)
		m.SetMapIndex(reflect.ValueOf(kv.key.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

func (d *decoder) structure(n *yaml.Node, path string, v reflect.Value, exclude map[string]string) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping")
		return
	}
	t := v.Type()
	if ex, ok := typeExcluded[t]; ok {
		exclude = mergeHints(exclude, ex)
	}
	fields := structFields(t, exclude)
	seen := map[string]*yaml.Node{}
	for _, kv := range d.pairs(n, path) {
		name := kv.key.Value
		i := slices.IndexFunc(fields, func(f field) bool { return f.name == name })
		if i < 0 {
			d.unknownField(kv.key, path, name, fields, exclude)
			continue
		}
		seen[name] = kv.key
		p := fieldPath(path, name)
		d.decode(kv.value, p, v.Field(fields[i].index), nil)
		if allowed, ok := fieldEnums[t][name]; ok {
			d.enum(kv.value, p, v.Field(fields[i].index), allowed)
		}
	}
	for _, name := range requiredFields[t] {
		if _, ok := seen[name]; !ok {
			d.report(nodePos(n), path, fmt.Sprintf("missing required field %q", name))
		}
	}
	if one, ok := oneOfFields[t]; ok {
		d.checkOneOf(n, path, one, seen)
	}
}

func (d *decoder) unknownField(key *yaml.Node, path, name string, fields []field, exclude map[string]string) {
	where := path
	if where == "" {
		where = "the document"
	}
	msg := fmt.Sprintf("unknown field %q in %s", name, where)
	if hint, ok := exclude[name]; ok {
		msg += ": " + hint
	} else if s := didYouMean(name, fieldNames(fields)); s != "" {
		msg += s
	} else {
		msg += "; expected one of " + strings.Join(fieldNames(fields), ", ")
	}
	d.report(nodePos(key), path, msg)
}

func (d *decoder) enum(n *yaml.Node, path string, v reflect.Value, allowed []string) {
	if v.Kind() == reflect.Slice {
		// A list of enumerated values: each item is checked.
		if seq := d.resolveQuiet(n); seq.Kind == yaml.SequenceNode && len(seq.Content) == v.Len() {
			for i := range v.Len() {
				d.enum(seq.Content[i], indexPath(path, i), v.Index(i), allowed)
			}
		}
		return
	}
	if v.Kind() != reflect.String || v.String() == "" || slices.Contains(allowed, v.String()) {
		return
	}
	msg := fmt.Sprintf("%q is not allowed: use one of %s", v.String(), strings.Join(allowed, ", "))
	if s := didYouMean(v.String(), allowed); s != "" {
		msg = fmt.Sprintf("%q is not allowed%s (one of %s)", v.String(), s, strings.Join(allowed, ", "))
	}
	if d.bad != nil {
		d.bad[path] = true // validation need not say it again
	}
	d.report(nodePos(d.resolveQuiet(n)), path, msg)
}

func (d *decoder) resolveQuiet(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func (d *decoder) checkOneOf(n *yaml.Node, path string, one oneOf, seen map[string]*yaml.Node) {
	var present []string
	for _, f := range one.fields {
		if _, ok := seen[f]; ok {
			present = append(present, f)
		}
	}
	switch {
	case len(present) == 1, len(present) == 0 && one.optional:
	case len(present) == 0:
		d.report(nodePos(n), path, fmt.Sprintf("a %s needs exactly one of %s", one.noun, strings.Join(one.fields, ", ")))
	default:
		how := "exactly"
		if one.optional {
			how = "at most"
		}
		fix := cmp.Or(one.fix, fmt.Sprintf("split it into one %s each", one.noun))
		d.report(nodePos(seen[present[1]]), path, fmt.Sprintf("a %s has %s one of %s, found %s: %s",
			one.noun, how, strings.Join(one.fields, ", "), strings.Join(present, " and "), fix))
	}
}
