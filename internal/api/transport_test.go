package api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestDecodeBody(t *testing.T) {
	type body struct {
		Name string `json:"name"`
	}
	tests := []struct {
		name, ct, body string
		limit          int64
		want           error
	}{
		{"a JSON object", "application/json", `{"name":"a"}`, 1024, nil},
		{"with a charset", "application/json; charset=utf-8", `{"name":"a"}`, 1024, nil},
		{"text/plain, as an HTML form sends", "text/plain", `{"name":"a"}`, 1024, errMediaType},
		{"a form", "application/x-www-form-urlencoded", `name=a`, 1024, errMediaType},
		{"no content type", "", `{"name":"a"}`, 1024, errMediaType},
		{"another charset", "application/json; charset=latin1", `{"name":"a"}`, 1024, errMediaType},
		{"empty", "application/json", ``, 1024, errBadInput},
		{"two values", "application/json", `{"name":"a"}{"name":"b"}`, 1024, errBadInput},
		{"trailing garbage", "application/json", `{"name":"a"}=`, 1024, errBadInput},
		{"trailing whitespace is fine", "application/json", "{\"name\":\"a\"}\n\t ", 1024, nil},
		{"unknown field", "application/json", `{"name":"a","actor":"ceo"}`, 1024, errBadInput},
		{"over the limit", "application/json", `{"name":"` + strings.Repeat("a", 2000) + `"}`, 1024, errTooLarge},
		{"over the limit only after the value", "application/json", `{"name":"a"}` + strings.Repeat(" ", 2000), 1024, errTooLarge},
		{"not JSON", "application/json", `name=a`, 1024, errBadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			var b body
			err := decodeBody(httptest.NewRecorder(), r, &b, tt.limit)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("decodeBody = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestHostAllowed(t *testing.T) {
	s := &Server{allowedHosts: []string{"gennaker.example.com"}}
	for host, want := range map[string]bool{
		"127.0.0.1:7070":               true,
		"[::1]:7070":                   true,
		"10.1.2.3":                     true,
		"localhost:7070":               true,
		"app.localhost":                true,
		"gennaker.example.com":         true,
		"GENNAKER.example.com.:443":    true,
		"attacker.example":             false,
		"gennaker.example.com.evil.io": false,
		"":                             false,
		"127.0.0.1.nip.io:7070":        false,
	} {
		if got := s.hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestQueryLimit(t *testing.T) {
	for q, want := range map[string]int{"": 50, "limit=1": 1, "limit=500": 500, "limit=501": -1, "limit=0": -1, "limit=x": -1} {
		r := httptest.NewRequest("GET", "/?"+q, nil)
		got, err := queryLimit(r.URL.Query(), maxExecutionPage, 50)
		if (err != nil) != (want < 0) || (want >= 0 && got != want) {
			t.Errorf("queryLimit(%q) = %d, %v; want %d", q, got, err, want)
		}
	}
}

func TestCursorRoundTripAndRefusesForgeries(t *testing.T) {
	for _, c := range []string{"", "!!", "bm9wZQ", strings.Repeat("A", 300)} {
		if _, err := decodeCursor(c); err == nil && c != "" {
			t.Errorf("decodeCursor(%q) accepted", c)
		}
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	c, err := decodeCursor(encodeCursor(model.Execution{ID: "20261201-100000-abc", CreatedAt: at}))
	if err != nil || c.ID != "20261201-100000-abc" || !c.CreatedAt.Equal(at) {
		t.Fatalf("round trip: %+v %v", c, err)
	}
}
