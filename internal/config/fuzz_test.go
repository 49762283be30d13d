package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse, which must never panic and must
// return either documents or positioned errors.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*", "*", "*.yaml"))
	for _, path := range append(seeds, more...) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("apiVersion: gennaker.dev/v1alpha1\nkind: Application\nmetadata: &m {name: x, <<: *m}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := Parse("fuzz.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		for _, d := range docs {
			if d.Application == nil && d.Environment == nil && d.Pipeline == nil && d.AnalysisTemplate == nil && d.Team == nil && d.Grant == nil && d.Notification == nil && d.OpenSLO == nil {
				t.Fatalf("document %s without an object", d.Object())
			}
		}
	})
}
