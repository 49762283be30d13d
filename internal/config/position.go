package config

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// position is where a node starts in its file.
type position struct{ Line, Column int }

func nodePos(n *yaml.Node) position { return position{n.Line, n.Column} }

// positions maps a field path ("spec.stages[1].wait") to where its value was
// written, so validation can point at the field it complains about.
type positions map[string]position

// at returns the position of path, or of its nearest written ancestor when
// the field itself was omitted.
func (p positions) at(path string) position {
	for {
		if pos, ok := p[path]; ok {
			return pos
		}
		if path == "" {
			return position{}
		}
		path = parentPath(path)
	}
}

// has reports whether the field at path was written in the document.
func (p positions) has(path string) bool {
	_, ok := p[path]
	return ok
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// fieldPath appends a field or map key to a path.
func fieldPath(parent, key string) string {
	if !plainKey.MatchString(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath appends a sequence index to a path.
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// parentPath removes the last element of a path.
func parentPath(path string) string {
	if strings.HasSuffix(path, `"]`) {
		// A quoted key may hold dots and brackets; find where its quote opens.
		for i := len(path) - 3; i > 0; i-- {
			if path[i] == '"' && path[i-1] == '[' {
				if _, err := strconv.Unquote(path[i : len(path)-1]); err == nil {
					return path[:i-1]
				}
			}
		}
	}
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
