package sqlfile

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"q/a.sql": {Data: []byte("-- The file's comment.\n\n-- name: One\n-- What it does.\nSELECT 1;\n\n-- name: Two\nSELECT 2\nFROM t;\n")},
		"q/b.sql": {Data: []byte("-- name: Three\nSELECT 3;\n")},
	}
	got, err := Load(fsys, "q")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"One": "-- What it does.\nSELECT 1;", "Two": "SELECT 2\nFROM t;", "Three": "SELECT 3;"}
	if len(got) != len(want) {
		t.Fatalf("got %d queries %v, want %d", len(got), got, len(want))
	}
	for name, q := range want {
		if got[name] != q {
			t.Errorf("%s = %q, want %q", name, got[name], q)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "-- name: A\n\n-- name: B\nSELECT 1;\n", `query "A" is empty`},
		{"duplicate", "-- name: A\nSELECT 1;\n-- name: A\nSELECT 2;\n", `query "A" is defined twice`},
		{"nameless", "-- name:\nSELECT 1;\n", `x.sql:1: "-- name:" needs a query name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"d/x.sql": {Data: []byte(tc.text)}}, "d")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
