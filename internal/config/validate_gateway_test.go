package config

import (
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestCheckHostname(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host string
		want string // a part of the message; "" means valid
	}{
		{"shop.example.com", ""},
		{"*.shop.example.com", ""},
		{"localhost", ""},
		{"xn--bcher-kva.example", ""},
		{"", "empty"},
		{"192.168.1.10", "IP address"},
		{"2001:db8::1", "IP address"},
		{"[2001:db8::1]", "IP address"},
		{"shop.example.com:8443", "has a port"},
		{"*", "wildcard"},
		{"shop.*.com", "wildcard"},
		{"*shop.example.com", "wildcard"},
		{"*.*.example.com", "wildcard"},
		{"Shop.example.com", "lowercase"},
		{"shop.example.com.", "ends with a dot"},
		{"-shop.example.com", "not a hostname"},
		{"shop..example.com", "not a hostname"},
		{strings.Repeat("a", 64) + ".example.com", "at most 63"},
		{strings.Repeat("a.", 127) + "com", "at most 253"},
	} {
		got := checkHostname(tc.host)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("checkHostname(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
}

func TestCheckPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path  model.PathMatch
		regex bool
		want  string
	}{
		{model.PathMatch{Type: model.PathPrefix, Value: "/"}, false, ""},
		{model.PathMatch{Type: model.PathPrefix, Value: "/cart/"}, false, ""},
		{model.PathMatch{Type: model.PathExact, Value: "/a-b_c.d~e!$&'()*+,;=:@/%41"}, false, ""},
		{model.PathMatch{Type: model.PathPrefix, Value: "cart"}, false, `must start with "/"`},
		{model.PathMatch{Type: model.PathExact, Value: "/a/./b"}, false, "normalized"},
		{model.PathMatch{Type: model.PathExact, Value: "/a/.."}, false, "normalized"},
		{model.PathMatch{Type: model.PathPrefix, Value: "/a%2fb"}, false, "encoded slash"},
		{model.PathMatch{Type: model.PathPrefix, Value: "/a#b"}, false, "fragment"},
		{model.PathMatch{Type: model.PathPrefix, Value: "/a?b=1"}, false, "characters"},
		{model.PathMatch{Type: model.PathPrefix, Value: "/" + strings.Repeat("a", 1024)}, false, "at most 1024"},
		{model.PathMatch{Type: model.PathRegularExpression, Value: "/api/v[0-9]+"}, false, "regularExpressions: true"},
		{model.PathMatch{Type: model.PathRegularExpression, Value: "/api/v[0-9]+"}, true, ""},
		{model.PathMatch{Type: model.PathRegularExpression, Value: `.*\.png$`}, true, ""},
		{model.PathMatch{Type: model.PathRegularExpression, Value: "/api/(v1"}, true, "not a regular expression"},
	} {
		got := checkPath(tc.path, tc.regex)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("checkPath(%+v, regex %v) = %q, want %q", tc.path, tc.regex, got, tc.want)
		}
	}
}

func TestCheckHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		h     model.HeaderMatch
		regex bool
		want  string
	}{
		{model.HeaderMatch{Name: "X-Gennaker-Route", Type: model.HeaderExact, Value: "canary"}, false, ""},
		{model.HeaderMatch{Name: "x_odd.name~!#$%&'*+^`|", Type: model.HeaderExact, Value: "1"}, false, ""},
		{model.HeaderMatch{Name: "X Canary", Value: "1"}, false, "not an HTTP header name"},
		{model.HeaderMatch{Name: ":authority", Value: "1"}, false, "not an HTTP header name"},
		{model.HeaderMatch{Name: "X-Ü", Value: "1"}, false, "not an HTTP header name"},
		{model.HeaderMatch{Name: strings.Repeat("x", 257), Value: "1"}, false, "at most 256"},
		{model.HeaderMatch{Name: "X-Canary", Value: ""}, false, "no value"},
		{model.HeaderMatch{Name: "X-Canary", Value: "a\r\nInjected: 1"}, false, "line break"},
		{model.HeaderMatch{Name: "X-User", Type: model.HeaderRegularExpression, Value: "^qa-"}, false, "regularExpressions: true"},
		{model.HeaderMatch{Name: "X-User", Type: model.HeaderRegularExpression, Value: "^qa-"}, true, ""},
		{model.HeaderMatch{Name: "X-User", Type: model.HeaderRegularExpression, Value: "[qa"}, true, "not a regular expression"},
	} {
		got := checkHeaderName(tc.h.Name)
		if got == "" {
			got = checkHeaderValue(tc.h, tc.regex)
		}
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("header %+v (regex %v): %q, want %q", tc.h, tc.regex, got, tc.want)
		}
	}
}
