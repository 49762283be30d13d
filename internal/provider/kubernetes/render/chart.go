package render

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/ignore"
)

// Chart is a Helm chart to render: a packaged archive, or an unpacked
// directory in a file system. Set exactly one of Archive and FS.
type Chart struct {
	// Name says where the chart came from in error messages, such as
	// "deploy/checkout-1.4.0.tgz"; the chart's own name when empty.
	Name string
	// Archive is a packaged chart (.tgz), as `helm package` writes it.
	Archive []byte
	// FS holds an unpacked chart in its directory Dir ("." for the root).
	// A .helmignore file there is honoured, as `helm template DIR` does.
	FS  fs.FS
	Dir string
}

// maxArchiveDepth bounds subchart archives nested in subchart archives.
const maxArchiveDepth = 5

// budget counts what a chart load has used against its limits.
type budget struct {
	source        string
	lim           Limits
	unpacked      int64 // bytes of files read, all archives included
	unpackedLimit int64
	unpackedWhat  string
	files         int
}

func (b *budget) take(name string, size int64) error {
	if b.unpacked+size > b.unpackedLimit {
		return &LimitError{Source: b.source, What: b.unpackedWhat + " (at " + name + ")", Limit: b.unpackedLimit, Got: b.unpacked + size}
	}
	b.files++
	if b.files > b.lim.MaxFiles {
		return &LimitError{Source: b.source, What: "files in the chart", Limit: int64(b.lim.MaxFiles), Got: int64(b.files)}
	}
	b.unpacked += size
	return nil
}

// loadChart reads the chart's files within the limits, refusing anything
// that points outside the chart, and hands them to Helm's loader. Subchart
// archives in charts/ are unpacked here, under the same budget, so Helm's
// own (larger) limits never apply.
func loadChart(c Chart, lim Limits) (*chart.Chart, error) {
	src := chartSource(c)
	var files []*archive.BufferedFile
	var err error
	switch {
	case c.Archive != nil && c.FS != nil:
		return nil, fmt.Errorf("%s: %w: give the chart as an archive or as a directory, not both", src, ErrInvalid)
	case c.Archive != nil:
		if int64(len(c.Archive)) > lim.MaxInputBytes {
			return nil, &LimitError{Source: src, What: "chart archive bytes", Limit: lim.MaxInputBytes, Got: int64(len(c.Archive))}
		}
		b := &budget{source: src, lim: lim, unpackedLimit: lim.MaxUnpackedBytes, unpackedWhat: "unpacked chart bytes"}
		files, err = readArchive(b, "", c.Archive, 0)
	case c.FS != nil:
		b := &budget{source: src, lim: lim, unpackedLimit: lim.MaxInputBytes, unpackedWhat: "chart directory bytes"}
		files, err = readChartDir(b, c.FS, c.Dir)
	default:
		return nil, fmt.Errorf("%s: %w: no chart given (set Archive or FS)", src, ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", src, ErrInvalid, err)
	}
	return ch, nil
}

func chartSource(c Chart) string {
	switch {
	case c.Name != "":
		return "chart " + c.Name
	case c.FS != nil && c.Dir != "":
		return "chart directory " + c.Dir
	case c.FS != nil:
		return "chart directory ."
	}
	return "chart archive"
}

// readArchive unpacks a chart archive into files named relative to the
// chart (its top directory stripped). prefix is where a subchart archive
// sits ("charts/redis-1.0.0.tgz") for error messages.
func readArchive(b *budget, prefix string, data []byte, depth int) ([]*archive.BufferedFile, error) {
	where := b.source
	if prefix != "" {
		where += ": " + prefix
	}
	if depth > maxArchiveDepth {
		return nil, fmt.Errorf("%s: %w: subchart archives nested more than %d deep", where, ErrInvalid, maxArchiveDepth)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: not a gzipped chart archive (%v): give the .tgz that `helm package` writes", where, ErrInvalid, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var files []*archive.BufferedFile
	seen := map[string]bool{}
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w: reading the archive: %v", where, ErrInvalid, err)
		}
		switch hd.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader, tar.TypeXHeader:
			continue
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return nil, fmt.Errorf("%s: %w: %q is a link to %q; a chart archive must hold regular files only: package the file itself", where, ErrUnsafeInput, hd.Name, hd.Linkname)
		default:
			return nil, fmt.Errorf("%s: %w: %q is not a regular file (tar type %q)", where, ErrUnsafeInput, hd.Name, hd.Typeflag)
		}
		name, err := archiveEntryName(hd.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", where, ErrUnsafeInput, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s: %w: %q appears twice in the archive", where, ErrInvalid, name)
		}
		seen[name] = true
		if err := b.take(prefix+name, max(hd.Size, 0)); err != nil {
			return nil, err
		}
		buf, err := io.ReadAll(io.LimitReader(tr, hd.Size))
		if err != nil {
			return nil, fmt.Errorf("%s: %w: reading %s: %v", where, ErrInvalid, name, err)
		}
		files = append(files, &archive.BufferedFile{Name: name, ModTime: hd.ModTime, Data: bytes.TrimPrefix(buf, utf8BOM)})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w: the archive holds no files", where, ErrInvalid)
	}
	return expandSubchartArchives(b, prefix, files, depth)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// archiveEntryName checks a tar entry name and strips the chart's top
// directory: "checkout/templates/x.yaml" -> "templates/x.yaml".
func archiveEntryName(raw string) (string, error) {
	n := strings.ReplaceAll(raw, `\`, "/")
	if path.IsAbs(n) || (len(n) > 1 && n[1] == ':') {
		return "", fmt.Errorf("%q is an absolute path; chart files must be relative to the chart", raw)
	}
	for part := range strings.SplitSeq(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("%q climbs out of the chart with ..; chart files must stay inside it", raw)
		}
	}
	top, rest, ok := strings.Cut(path.Clean(n), "/")
	if !ok || top == "." || rest == "" {
		return "", fmt.Errorf("%q is not inside the chart's top directory (an archive holds <chart>/Chart.yaml, <chart>/templates/...)", raw)
	}
	return rest, nil
}

// expandSubchartArchives replaces every charts/NAME.tgz (at any depth of
// directory subcharts) with its files under charts/NAME/, as if it had
// been vendored unpacked.
func expandSubchartArchives(b *budget, prefix string, files []*archive.BufferedFile, depth int) ([]*archive.BufferedFile, error) {
	out := make([]*archive.BufferedFile, 0, len(files))
	dirs := map[string]bool{}
	for _, f := range files {
		if !isSubchartArchive(f.Name) {
			out = append(out, f)
			for d := path.Dir(f.Name); d != "."; d = path.Dir(d) {
				dirs[d] = true
			}
		}
	}
	for _, f := range files {
		if !isSubchartArchive(f.Name) {
			continue
		}
		dir := strings.TrimSuffix(f.Name, ".tgz")
		if dirs[dir] {
			return nil, fmt.Errorf("%s: %w: both %s and the directory %s/ are in the chart: keep one", b.source, ErrInvalid, prefix+f.Name, prefix+dir)
		}
		// The archive's bytes were counted when read; its contents are
		// counted again as they are unpacked, which is what they cost.
		sub, err := readArchive(b, prefix+f.Name+"/", f.Data, depth+1)
		if err != nil {
			return nil, err
		}
		for _, s := range sub {
			out = append(out, &archive.BufferedFile{Name: dir + "/" + s.Name, ModTime: s.ModTime, Data: s.Data})
		}
	}
	return out, nil
}

func isSubchartArchive(name string) bool {
	dir, file := path.Split(name)
	return strings.HasSuffix(file, ".tgz") && (dir == "charts/" || strings.HasSuffix(dir, "/charts/"))
}

// readChartDir reads an unpacked chart from fsys, honouring .helmignore
// and refusing symlinks and special files.
func readChartDir(b *budget, fsys fs.FS, dir string) ([]*archive.BufferedFile, error) {
	if dir == "" {
		dir = "."
	}
	if !fs.ValidPath(dir) {
		return nil, fmt.Errorf("%s: %w: %q is not a valid path in the file system (use a relative, slash-separated path without ..)", b.source, ErrUnsafeInput, dir)
	}
	rules := ignore.Empty()
	if data, err := fs.ReadFile(fsys, path.Join(dir, ignore.HelmIgnore)); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%s: %w: %s: %v", b.source, ErrInvalid, ignore.HelmIgnore, err)
		}
	}
	rules.AddDefaults()
	var files []*archive.BufferedFile
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", b.source, err)
		}
		if p == dir {
			return nil
		}
		rel := strings.TrimPrefix(p, dir+"/")
		if dir == "." {
			rel = p
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("%s: %s: %w", b.source, rel, err)
		}
		if rules.Ignore(rel, info) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s: %w: %s is a symlink; a chart must hold regular files only: copy the file in, or list it in .helmignore", b.source, ErrUnsafeInput, rel)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: %w: %s is not a regular file", b.source, ErrUnsafeInput, rel)
		}
		data, err := readBounded(b, fsys, p, rel, info.Size())
		if err != nil {
			return err
		}
		files = append(files, &archive.BufferedFile{Name: rel, ModTime: info.ModTime(), Data: bytes.TrimPrefix(data, utf8BOM)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w: no files in %s", b.source, ErrInvalid, dir)
	}
	return expandSubchartArchives(b, "", files, 0)
}

// readBounded reads one file, never more than the budget has left, even if
// the file grows after it was listed.
func readBounded(b *budget, fsys fs.FS, p, rel string, size int64) ([]byte, error) {
	if err := b.take(rel, size); err != nil {
		return nil, err
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.source, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, size+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", b.source, rel, err)
	}
	if int64(len(data)) > size {
		return nil, fmt.Errorf("%s: %s changed while it was read", b.source, rel)
	}
	return data, nil
}
