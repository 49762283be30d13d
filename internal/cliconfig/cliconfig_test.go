package cliconfig

import (
	"os"
	"path/filepath"
	"strings"
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

func TestPick(t *testing.T) {
	f := &File{CurrentContext: "prod", Contexts: []Context{
		{Name: "local", Server: "http://127.0.0.1:7070", Token: "t-local"},
		{Name: "prod", Server: "https://g.example.com", Token: "t-prod"},
		{Name: "prod-ci", Server: "https://g.example.com/", Token: "t-ci"},
	}}
	tests := []struct {
		name, ctx, server string
		wantCtx, wantSrv  string // wantCtx "" for no context
	}{
		{"nothing named: the current context", "", "", "prod", "https://g.example.com"},
		{"a context named: its server", "local", "", "local", "http://127.0.0.1:7070"},
		{"a second context of a server", "prod-ci", "", "prod-ci", "https://g.example.com/"},
		{"a server named: its first context", "", "127.0.0.1:7070/", "local", "127.0.0.1:7070/"},
		{"a context of that server named too", "prod-ci", "https://G.example.com", "prod-ci", "https://G.example.com"},
		{"a context of another server named: the server wins", "local", "https://g.example.com", "prod", "https://g.example.com"},
		{"a server no context is for", "", "http://10.0.0.1:7070", "", "http://10.0.0.1:7070"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv, err := f.Pick(tt.ctx, tt.server)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if c != nil {
				got = c.Name
			}
			if got != tt.wantCtx || srv != tt.wantSrv {
				t.Fatalf("Pick(%q, %q) = context %q, server %q; want %q, %q", tt.ctx, tt.server, got, srv, tt.wantCtx, tt.wantSrv)
			}
		})
	}

	if _, srv, _ := (&File{}).Pick("", ""); srv != DefaultServer {
		t.Errorf("an empty file picks server %q, want %q", srv, DefaultServer)
	}
	if _, _, err := f.Pick("staging", ""); err == nil || !strings.Contains(err.Error(), `no context named "staging"`) {
		t.Errorf("an unknown context: err = %v, want one naming it", err)
	}
}
