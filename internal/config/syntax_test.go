package config

import (
	"strings"
	"testing"
)

// TestSyntaxErrorsPointAtTheCause: the YAML parser names a line (often the
// wrong one) and no column; the usual causes are found in the source.
func TestSyntaxErrorsPointAtTheCause(t *testing.T) {
	t.Parallel()
	head := "apiVersion: gennaker.dev/v1alpha1\nkind: Environment\nmetadata:\n"
	for name, tc := range map[string]struct{ src, want string }{
		"tab":          {head + "\tname: prod\n", `x.yaml:4:1: invalid YAML: a tab in the indentation`},
		"quote":        {head + "  name: \"prod\nspec: {}\n", `x.yaml:4:9: invalid YAML: the quote " opened here is never closed`},
		"single quote": {head + "  name: 'it''s\n", `x.yaml:4:9: invalid YAML: the quote ' opened here is never closed`},
		"brace":        {head + "  name: prod\nspec: {target: {kind: local}\n", `x.yaml:5:7: invalid YAML: the { opened here is never closed`},
		"indentation":  {head + "  name: prod\n   extra: 1\n", `x.yaml:5: invalid YAML: mapping values are not allowed in this context: check the indentation`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("x.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant %s", err, tc.want)
			}
		})
	}
	// A quote inside a comment or a word is not an opening.
	if _, ok := unclosed([]byte("# it's fine\nkey: don't [x]\n")); ok {
		t.Error("a quote in a comment or a word was taken for an opening")
	}
}
