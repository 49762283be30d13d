package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalid loads each testdata/invalid/*.yaml file (or directory, as one
// set) and compares the error text with the .golden file beside it.
func TestInvalid(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(filepath.Join("testdata", "invalid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		name := strings.TrimSuffix(e.Name(), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "invalid", e.Name())
			var err error
			if e.IsDir() {
				_, err = LoadDir(path, LoadOptions{})
			} else {
				_, err = LoadFiles([]string{path}, LoadOptions{})
			}
			var cfgErrs *Errors
			if !errors.As(err, &cfgErrs) {
				t.Fatalf("want *Errors, got %v", err)
			}
			for _, e := range cfgErrs.List {
				if e.Line == 0 && !strings.Contains(e.Message, "invalid YAML") {
					t.Errorf("error without a position: %v", e)
				}
			}
			golden(t, filepath.Join("testdata", "invalid", name+".golden"), []byte(err.Error()+"\n"))
		})
	}
}
