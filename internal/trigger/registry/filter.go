package registry

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/Masterminds/semver/v3"

	"github.com/gennaker/gennaker/internal/model"
)

// Filter says which tags of a repository a trigger watches and how they
// are ordered from oldest to newest.
type Filter struct {
	tag        *regexp.Regexp      // matched against the whole tag; nil: any
	constraint *semver.Constraints // nil: no semver constraint
}

// NewFilter compiles the trigger's tag regular expression (anchored: it
// must match the whole tag) and semver constraint.
func NewFilter(spec model.RegistryTrigger) (Filter, error) {
	var f Filter
	if spec.Tag != "" {
		re, err := regexp.Compile(`^(?:` + spec.Tag + `)$`)
		if err != nil {
			return f, fmt.Errorf("registry trigger on %s: tag %q is not a regular expression: %w", spec.Repository, spec.Tag, err)
		}
		f.tag = re
	}
	if spec.Semver != "" {
		c, err := semver.NewConstraint(spec.Semver)
		if err != nil {
			return f, fmt.Errorf("registry trigger on %s: semver %q is not a version constraint (e.g. ^1.4 or >=2.0 <3): %w", spec.Repository, spec.Semver, err)
		}
		f.constraint = c
	}
	return f, nil
}

// Semver reports whether the filter orders tags as versions.
func (f Filter) Semver() bool { return f.constraint != nil }

// keep reports whether the trigger watches tag, with its version when the
// trigger has a semver constraint.
func (f Filter) keep(tag string) (*semver.Version, bool) {
	if f.tag != nil && !f.tag.MatchString(tag) {
		return nil, false
	}
	if f.constraint == nil {
		return nil, true
	}
	v, err := semver.NewVersion(tag)
	if err != nil || !f.constraint.Check(v) {
		return nil, false
	}
	return v, true
}

// Compare orders two watched tags, oldest first: as semantic versions when
// the trigger has a semver constraint (ties, such as v1.4.0 and 1.4.0, by
// name), otherwise in natural order, where runs of digits compare as
// numbers (build-9 < build-10, 2026-01-31 < 2026-02-01).
func (f Filter) Compare(a, b string) int {
	if f.constraint != nil {
		va, ea := semver.NewVersion(a)
		vb, eb := semver.NewVersion(b)
		if ea == nil && eb == nil {
			if c := va.Compare(vb); c != 0 {
				return c
			}
		}
	}
	return naturalCompare(a, b)
}

// Sort keeps the watched tags and sorts them oldest first (in Compare's
// order; each version is parsed once).
func (f Filter) Sort(tags []string) []string {
	type entry struct {
		tag string
		v   *semver.Version
	}
	kept := make([]entry, 0, len(tags))
	for _, t := range tags {
		if v, ok := f.keep(t); ok {
			kept = append(kept, entry{tag: t, v: v})
		}
	}
	slices.SortFunc(kept, func(a, b entry) int {
		if a.v != nil && b.v != nil {
			if c := a.v.Compare(b.v); c != 0 {
				return c
			}
		}
		return naturalCompare(a.tag, b.tag)
	})
	out := make([]string, 0, len(kept))
	for _, e := range kept {
		if len(out) == 0 || out[len(out)-1] != e.tag {
			out = append(out, e.tag)
		}
	}
	return out
}

// naturalCompare compares strings piecewise: runs of digits by value (then
// by length, so 007 > 7), everything else byte by byte.
func naturalCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			if c := compareNumbers(a[si:i], b[sj:j]); c != 0 {
				return c
			}
			continue
		}
		if a[i] != b[j] {
			if a[i] < b[j] {
				return -1
			}
			return 1
		}
		i, j = i+1, j+1
	}
	switch {
	case len(a)-i < len(b)-j:
		return -1
	case len(a)-i > len(b)-j:
		return 1
	}
	if a < b {
		return -1
	} else if a > b {
		return 1
	}
	return 0
}

// compareNumbers compares two runs of digits by value, then by length.
func compareNumbers(x, y string) int {
	tx, ty := trimZeros(x), trimZeros(y)
	if len(tx) != len(ty) {
		if len(tx) < len(ty) {
			return -1
		}
		return 1
	}
	if tx != ty {
		if tx < ty {
			return -1
		}
		return 1
	}
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	return 0
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
