package config

import (
	"strings"
	"testing"
)

// TestAliasExpansionIsBounded checks that a small document whose aliases
// expand to millions of nodes is rejected quickly instead of decoded.
func TestAliasExpansionIsBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("apiVersion: gennaker.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  application: a\n  description: &n [" +
		strings.Repeat("x,", 2000) + "]\n")
	b.WriteString("  stages: [" + strings.Repeat("{name: s, noop: {}, needs: *n},", 2000) + "]\n")
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("want the node budget error, got %.300v", err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n > maxErrorsPerDocument+1 {
		t.Errorf("%d error lines; the budget should stop decoding early", n)
	}
}
