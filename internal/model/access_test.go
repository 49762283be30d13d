package model

import "testing"

func TestScopeString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scope Scope
		want  string
	}{
		{Scope{}, "every application"},
		{Scope{Team: "payments"}, "team payments's applications"},
		{Scope{Application: "checkout", Environments: []string{"staging", "production"}}, "application checkout in staging, production"},
		{Scope{Environments: []string{"staging"}}, "every application in staging"},
	} {
		if got := tc.scope.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.scope, got, tc.want)
		}
	}
}
