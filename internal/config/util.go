package config

import (
	"maps"
	"slices"
	"strings"
)

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func sortStrings(s []string) { slices.Sort(s) }

// joinOr writes words as "a, b or c".
func joinOr(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// listedTwice reports entry i of the list at path, shown as what, when an
// earlier entry holds the same key (first says where each key was first
// written), and otherwise remembers key at i.
func listedTwice[K comparable](doc *Document, first map[K]int, path string, i int, key K, what string) []Error {
	if j, dup := first[key]; dup {
		return []Error{doc.errorf(indexPath(path, i), "%s is listed twice (first at %s): remove one", what, indexPath(path, j))}
	}
	first[key] = i
	return nil
}
