package cliconfig

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestUpdateWritesPrivateFileAndKeepsContexts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.yaml")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := ContextName("http://127.0.0.1:" + string(rune('0'+i)) + "000")
			if err := Update(path, func(f *File) error {
				f.Set(Context{Name: name, Server: "http://" + name, Token: "t"})
				return nil
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Contexts) != 8 {
		t.Fatalf("concurrent updates lost contexts: %d of 8", len(f.Contexts))
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	dir, _ := os.Stat(filepath.Dir(path))
	if dir.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, want 0700", dir.Mode().Perm())
	}
	if _, ok := f.ForServer("127.0.0.1:3000/"); !ok {
		t.Fatal("ForServer does not match a server written without scheme and with a slash")
	}
	if _, ok := f.Current(); !ok {
		t.Fatal("the first context becomes current")
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:7070":           "http://127.0.0.1:7070",
		"http://LOCALHOST:7070/":   "http://localhost:7070",
		"https://g.example.com/x/": "https://g.example.com/x",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
