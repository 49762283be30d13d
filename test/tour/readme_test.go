package tour

import (
	"os"
	"slices"
	"testing"
)

// The parser finds the tour's commands, the output under them and the
// files it asks the reader to create.
func TestParseTour(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := parseTour(string(readme))
	var cmds []string
	for _, s := range sec.steps {
		cmds = append(cmds, s.cmd)
	}
	for _, want := range []string{"gennaker apply -f examples/quickstart", "gennaker validate bad.yaml", "gennaker delete application hello"} {
		if !slices.Contains(cmds, want) {
			t.Errorf("the tour's commands %q lack %q", cmds, want)
		}
	}
	if _, ok := sec.files["bad.yaml"]; !ok {
		t.Error("the tour does not give bad.yaml")
	}
	if got := missing([]string{"hello-v001    v1       production  up      2/2      100%     last good"}, "  hello-v007    v1       production  up      1/2      0%"); len(got) != 0 {
		t.Errorf("a status line of the same shape does not match: %v", got)
	}
	if got := missing([]string{"verdict FAIL, score 0.0"}, "verdict PASS, score 100.0"); len(got) != 1 {
		t.Error("a PASS matched a FAIL")
	}
}
