package storeurl

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Target
	}{
		{"sqlite://.gennaker", Target{Kind: SQLite, Dir: ".gennaker"}},
		{"sqlite:///var/lib/gennaker/", Target{Kind: SQLite, Dir: "/var/lib/gennaker"}},
		{"postgres://u:p@h/db", Target{Kind: Postgres, URL: "postgres://u:p@h/db"}},
		{"postgresql://h/db?sslmode=require", Target{Kind: Postgres, URL: "postgresql://h/db?sslmode=require"}},
	} {
		got, err := Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "sqlite://", "sqlite://x?mode=memory", "mysql://u:secret@h/db", "/var/lib/gennaker"} {
		_, err := Parse(bad)
		if err == nil {
			t.Errorf("Parse(%q) accepted it", bad)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Parse(%q) error shows the password: %v", bad, err)
		}
	}
}

func TestStringHidesPassword(t *testing.T) {
	tg, err := Parse("postgres://gennaker:s3cret@db:5432/gennaker")
	if err != nil {
		t.Fatal(err)
	}
	if s := tg.String(); strings.Contains(s, "s3cret") || !strings.Contains(s, "gennaker:xxxxx@db:5432/gennaker") {
		t.Errorf("String() = %q", s)
	}
}

func TestHasPassword(t *testing.T) {
	for in, want := range map[string]bool{
		"postgres://gennaker:s3cret@db/gennaker":          true,
		"postgres://gennaker@db/gennaker?password=s3cret": true,
		"postgres://gennaker@db/gennaker?sslmode=require": false,
		"postgresql://db/gennaker":                        false,
		"sqlite://.gennaker":                              false,
	} {
		tg, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := tg.HasPassword(); got != want {
			t.Errorf("HasPassword(%q) = %v, want %v", in, got, want)
		}
	}
}
