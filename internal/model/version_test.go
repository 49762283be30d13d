package model

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version string
		ok      bool
	}{
		{"v1", true},
		{"1.4.2", true},
		{"1.4.2-rc.1+build.7", true},
		{"2026.03.14-1", true},
		{"_latest", true},
		{"sha-0123abcd", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"", false},
		{".hidden", false},
		{"-rm", false},
		{"+x", false},
		{"v1; id", false},
		{"$(id)", false},
		{"`id`", false},
		{"v1 && curl evil", false},
		{"v1\nid", false},
		{"v1'", false},
		{`v1"`, false},
		{"../../etc", false},
		{"v1/x", false},
		{"v1:x", false},
		{"{{port}}", false},
		{"vé", false},
	} {
		err := CheckVersion(tc.version)
		if (err == nil) != tc.ok {
			t.Errorf("CheckVersion(%q) = %v, want ok %v", tc.version, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("CheckVersion(%q) = %v, want ErrInvalidVersion", tc.version, err)
		}
	}
}

// FuzzCheckVersion: an accepted version holds no character a shell, a
// path or a placeholder gives a meaning to.
func FuzzCheckVersion(f *testing.F) {
	for _, s := range []string{"v1", "1.4.2+build.7", "$(id)", "a b", "{{version}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if CheckVersion(v) != nil {
			return
		}
		if strings.ContainsAny(v, " \t\n\r'\"`$;&|<>(){}[]*?!~#=%\\/:,@^") || len(v) > 128 || v == "" {
			t.Fatalf("CheckVersion accepted %q", v)
		}
	})
}
