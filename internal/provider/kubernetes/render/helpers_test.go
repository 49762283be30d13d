package render

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"flag"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n--- got\n%s", file, got)
	}
}

// tarEntry is one entry of a test archive.
type tarEntry struct {
	name     string
	body     string
	typeflag byte
	linkname string
	size     int64 // header size when it must lie; 0 means len(body)
}

// makeArchive builds a .tgz from entries, as hostile as they are.
func makeArchive(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.typeflag
		if typ == 0 {
			typ = tar.TypeReg
		}
		hd := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: typ, Linkname: e.linkname}
		if typ == tar.TypeReg {
			hd.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hd); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// packageChart builds a chart archive from the directory dir of fsys, the
// way `helm package` lays it out (<top>/Chart.yaml ...).
func packageChart(t testing.TB, fsys fs.FS, dir, top string) []byte {
	t.Helper()
	var entries []tarEntry
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := p[len(dir)+1:]
		entries = append(entries, tarEntry{name: path.Join(top, rel), body: string(data)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return makeArchive(t, entries...)
}

func testdataFS() fs.FS { return os.DirFS("testdata") }

func fsReadFile(name string) ([]byte, error) { return fs.ReadFile(testdataFS(), name) }

func unstructuredSlice(obj map[string]any, fields ...string) ([]any, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[f]
	}
	s, ok := cur.([]any)
	return s, ok, nil
}
