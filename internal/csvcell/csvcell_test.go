package csvcell

import "testing"

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"checkout": "checkout", "": "", "=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "a=b": "a=b",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
