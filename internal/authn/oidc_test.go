package authn

import (
	"slices"
	"testing"
)

func TestIdentityFromClaims(t *testing.T) {
	tests := []struct {
		name    string
		sub     string
		claims  map[string]any
		subject string // "" means refused
		groups  []string
	}{
		{"a verified email is the subject, lower-cased", "248289", map[string]any{"email": "Olga@Example.com", "email_verified": true, "groups": []any{"ops", "dev"}}, "olga@example.com", []string{"ops", "dev"}},
		{`email_verified as the string "true"`, "248289", map[string]any{"email": "olga@example.com", "email_verified": "true"}, "olga@example.com", nil},
		{"no email_verified claim: the provider's subject", "248289", map[string]any{"email": "olga@example.com"}, "248289", nil},
		{`email_verified "false" (a string)`, "248289", map[string]any{"email": "olga@example.com", "email_verified": "false"}, "248289", nil},
		{"email_verified false", "248289", map[string]any{"email": "olga@example.com", "email_verified": false}, "248289", nil},
		{"a subject that passes for a token", "Token:local-root", map[string]any{}, "", nil},
		{"a subject that passes for the server's user", "LOCAL:root", map[string]any{}, "", nil},
		{"a verified email that passes for a token", "x", map[string]any{"email": "token:ci", "email_verified": true}, "", nil},
		{"control characters", "a\nb", map[string]any{}, "", nil},
		{"one group as a string", "u1", map[string]any{"groups": "ops"}, "u1", []string{"ops"}},
		{"the Kelvin sign is not a k", "u2", map[string]any{"email": "\u212aate@example.com", "email_verified": true}, "\u212aate@example.com", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := identityFromClaims(tt.sub, tt.claims, "groups")
			if tt.subject == "" {
				if err == nil {
					t.Fatalf("accepted as %q, want refused", id.Subject)
				}
				return
			}
			if err != nil || id.Subject != tt.subject || !slices.Equal(id.Groups, tt.groups) {
				t.Fatalf("got %+v, %v; want subject %q groups %v", id, err, tt.subject, tt.groups)
			}
		})
	}
}
