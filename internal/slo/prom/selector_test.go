package prom

import (
	"strings"
	"testing"
)

func TestParseSelector(t *testing.T) {
	ok := []struct{ q, want string }{
		{`http_requests_total`, `http_requests_total`},
		{` http_requests_total{job="checkout",code!~"5.."} `, `http_requests_total{job="checkout",code!~"5.."}`},
		{`http_request_duration_seconds_bucket{le="0.3", job='checkout',}`, `http_request_duration_seconds_bucket{le="0.3",job="checkout"}`},
		{"{__name__=\"up\", path=~`/api/.*`}", `{__name__="up",path=~"/api/.*"}`},
		{`ns:requests:total{a="x\"y"}`, `ns:requests:total{a="x\"y"}`},
		{`requests_total{}`, `requests_total`},
	}
	for _, c := range ok {
		sel, err := ParseSelector(c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if sel.String() != c.want {
			t.Errorf("%s: rendered %s, want %s", c.q, sel, c.want)
		}
	}
	bad := []struct{ q, why string }{
		{``, "empty"},
		{`rate(http_requests_total[5m])`, "after the selector"},
		{`sum(http_requests_total)`, "keyword"},
		{`http_requests_total[5m]`, "after the selector"},
		{`http_requests_total offset 5m`, "after the selector"},
		{`a_total / b_total`, "after the selector"},
		{`{job=~".*"}`, "empty string"},
		{`x{job="a"`, "want , or }"},
		{`x{job=a}`, "quoted string"},
		{`x{job=~"("}`, "regular expression"},
		{`x{job="a}`, "unterminated"},
		{`x{1a="b"}`, "label name"},
	}
	for _, c := range bad {
		_, err := ParseSelector(c.q)
		if err == nil {
			t.Errorf("%q was accepted", c.q)
			continue
		}
		if !strings.Contains(err.Error(), c.why) || !strings.Contains(err.Error(), "counter selector") {
			t.Errorf("%q: %v, want it to mention %q and say what to write", c.q, err, c.why)
		}
	}
}

// FuzzParseSelector: whatever parses renders to a selector that parses to
// the same thing.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{`a_total{b="c",d!~"e.*"}`, "{x=`y`}", `a{b='\''}`, `a{b="\x41\u00e9"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		sel, err := ParseSelector(q)
		if err != nil {
			return
		}
		again, err := ParseSelector(sel.String())
		if err != nil {
			t.Fatalf("%q parsed, its rendering %q did not: %v", q, sel.String(), err)
		}
		if again.String() != sel.String() {
			t.Fatalf("%q: rendered %q, then %q", q, sel.String(), again.String())
		}
	})
}
