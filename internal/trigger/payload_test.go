package trigger

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactPayload(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		keep      []string
		drop      []string
		truncated bool
	}{
		{
			name: "credential keys and values are redacted, the rest kept",
			in: `{"ref":"refs/heads/main","secret":"s3cr3t-value","nested":{"api_key":"k-123456","Password":"pw-123456"},` +
				`"hook":{"url":"https://hooks.slack.com/services/T000/B000/XXXXSECRET"},"list":[{"accessToken":"tok-123456"}],` +
				`"clone":"https://ada:hunter2@example.com/x.git","size":12345678901234567890}`,
			keep: []string{`"refs/heads/main"`, `12345678901234567890`, `"***"`},
			drop: []string{"s3cr3t-value", "k-123456", "pw-123456", "XXXXSECRET", "tok-123456", "hunter2"},
		},
		{name: "not JSON is a redacted string", in: `token=abc https://u:pass1234@h/x`, keep: []string{`"token=abc`}, drop: []string{"pass1234"}},
		{name: "a big payload is truncated, saying so", in: `{"a":"` + strings.Repeat("x", 40<<10) + `"}`, keep: []string{"truncated", "bytes"}, truncated: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := RedactPayload([]byte(tc.in))
			if !json.Valid(out) {
				t.Fatalf("RedactPayload = %s, not JSON", out)
			}
			s := string(out)
			for _, k := range tc.keep {
				if !strings.Contains(s, k) {
					t.Errorf("RedactPayload = %.200s, want it to keep %s", s, k)
				}
			}
			for _, d := range tc.drop {
				if strings.Contains(s, d) {
					t.Errorf("RedactPayload = %s, want %s gone", s, d)
				}
			}
			if tc.truncated != strings.Contains(s, `"truncated":`) || len(out) > MaxPayload {
				t.Errorf("RedactPayload size %d of %d, truncated want %v", len(out), len(tc.in), tc.truncated)
			}
		})
	}
	if RedactPayload(nil) != nil || RedactPayload([]byte("  ")) != nil {
		t.Error("an empty payload must stay nil")
	}
}

// Whatever a delivery's body is, what is stored is JSON within the bound.
func FuzzRedactPayload(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,"x"]`, `"s"`, `{"token":"abc"}`, `not json`, `{"a":"\xff"}`, `{} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out := RedactPayload(b)
		if out == nil {
			return
		}
		if !json.Valid(out) || len(out) > MaxPayload {
			t.Fatalf("RedactPayload(%q) = %q: want JSON of at most %d bytes", b, out, MaxPayload)
		}
	})
}
