package render

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

const chartYAML = "apiVersion: v2\nname: evil\nversion: 0.1.0\n"

func templateChart(tpl string) Chart {
	return Chart{FS: fstest.MapFS{
		"Chart.yaml":        {Data: []byte(chartYAML)},
		"templates/cm.yaml": {Data: []byte(tpl)},
	}}
}

// Templates that never end, or end only after filling memory, are stopped
// by the loop budget or the timeout, and their goroutine stops too (the
// render slots come back: five in a row would otherwise exhaust them).
func TestHelmStopsRunawayTemplates(t *testing.T) {
	tests := []struct {
		name   string
		tpl    string
		lim    Limits
		target error
		want   []string
	}{{
		name:   "include of itself",
		tpl:    `{{define "loop"}}{{include "loop" .}}{{end}}{{include "loop" .}}`,
		target: ErrInvalid,
		want:   []string{"nested reference", "loop"},
	}, {
		name:   "recursion that fans out (2^48 calls)",
		tpl:    `{{define "fan"}}{{if .}}{{include "fan" (rest .)}}{{include "fan" (rest .)}}{{end}}{{end}}{{include "fan" (until 48)}}`,
		lim:    Limits{MaxLoopIterations: 100_000},
		target: ErrLimit,
		want:   []string{"chart evil", "loop iterations"},
	}, {
		name:   "recursion that fans out, stopped by the timeout",
		tpl:    `{{define "fan"}}{{if .}}{{include "fan" (rest .)}}{{include "fan" (rest .)}}{{end}}{{end}}{{include "fan" (until 48)}}`,
		lim:    Limits{Timeout: 300 * time.Millisecond},
		target: ErrTimeout,
		want:   []string{"chart directory .", "300ms"},
	}, {
		name:   "nested ranges over integers, no function calls",
		tpl:    `{{range 100000}}{{range 100000}}{{range 100000}}x{{end}}{{end}}{{end}}`,
		lim:    Limits{MaxLoopIterations: 1_000_000},
		target: ErrLimit,
		want:   []string{"loop iterations"},
	}, {
		name:   "huge list",
		tpl:    `{{range until 2000000000}}{{end}}`,
		target: ErrLimit,
		want:   []string{"loop iterations"},
	}, {
		name:   "huge string",
		tpl:    `{{repeat 1000000000 "xxxxxxxxxx"}}`,
		target: ErrLimit,
		want:   []string{"repeat"},
	}, {
		name:   "huge output from a modest loop",
		tpl:    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: |\n{{range until 200000}}    {{repeat 100 \"y\"}}\n{{end}}",
		target: ErrLimit,
		want:   []string{"rendered bytes"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Helm(context.Background(), templateChart(tt.tpl), HelmOptions{ReleaseName: "r", Limits: tt.lim})
			checkErr(t, err, tt.target, tt.want...)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %s to stop", d)
			}
		})
	}
	// Every render above has given its slot back: the goroutines ended.
	deadline := time.Now().Add(10 * time.Second)
	for len(renderSlots) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(renderSlots); n > 0 {
		t.Errorf("%d renders still running after their errors", n)
	}
}

func TestHelmRefusesHostileArchives(t *testing.T) {
	t.Parallel()
	chartFile := tarEntry{name: "evil/Chart.yaml", body: chartYAML}
	bomb := func(size int) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		tw := tar.NewWriter(zw)
		_ = tw.WriteHeader(&tar.Header{Name: "evil/Chart.yaml", Mode: 0o644, Size: int64(len(chartYAML))})
		_, _ = tw.Write([]byte(chartYAML))
		_ = tw.WriteHeader(&tar.Header{Name: "evil/templates/big.yaml", Mode: 0o644, Size: int64(size)})
		_, _ = tw.Write(make([]byte, size))
		_ = tw.Close()
		_ = zw.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name    string
		archive []byte
		lim     Limits
		target  error
		want    []string
	}{{
		name:    "path traversal",
		archive: makeArchive(t, chartFile, tarEntry{name: "evil/templates/../../../etc/cron.d/x", body: "x"}),
		target:  ErrUnsafeInput,
		want:    []string{"climbs out of the chart"},
	}, {
		name:    "absolute path",
		archive: makeArchive(t, chartFile, tarEntry{name: "/etc/passwd", body: "x"}),
		target:  ErrUnsafeInput,
		want:    []string{"absolute path"},
	}, {
		name:    "windows drive path",
		archive: makeArchive(t, chartFile, tarEntry{name: `c:\windows\x`, body: "x"}),
		target:  ErrUnsafeInput,
		want:    []string{"absolute path"},
	}, {
		name:    "symlink",
		archive: makeArchive(t, chartFile, tarEntry{name: "evil/values.yaml", typeflag: tar.TypeSymlink, linkname: "/etc/shadow"}),
		target:  ErrUnsafeInput,
		want:    []string{`"evil/values.yaml" is a link to "/etc/shadow"`},
	}, {
		name:    "hard link",
		archive: makeArchive(t, chartFile, tarEntry{name: "evil/values.yaml", typeflag: tar.TypeLink, linkname: "evil/Chart.yaml"}),
		target:  ErrUnsafeInput,
		want:    []string{"is a link"},
	}, {
		name:    "device",
		archive: makeArchive(t, chartFile, tarEntry{name: "evil/dev", typeflag: tar.TypeChar}),
		target:  ErrUnsafeInput,
		want:    []string{"not a regular file"},
	}, {
		name:    "file outside the top directory",
		archive: makeArchive(t, tarEntry{name: "Chart.yaml", body: chartYAML}),
		target:  ErrUnsafeInput,
		want:    []string{"top directory"},
	}, {
		name:    "same file twice",
		archive: makeArchive(t, chartFile, chartFile),
		target:  ErrInvalid,
		want:    []string{"twice"},
	}, {
		name:    "oversized archive",
		archive: makeArchive(t, chartFile, tarEntry{name: "evil/blob", body: strings.Repeat("x", 2048)}),
		lim:     Limits{MaxInputBytes: 100},
		target:  ErrLimit,
		want:    []string{"chart archive bytes", "limit of 100"},
	}, {
		name:    "decompression bomb",
		archive: bomb(8 << 20),
		lim:     Limits{MaxUnpackedBytes: 1 << 20},
		target:  ErrLimit,
		want:    []string{"unpacked chart bytes (at templates/big.yaml)"},
	}, {
		name: "decompression bomb in a subchart archive",
		archive: makeArchive(t, chartFile,
			tarEntry{name: "evil/charts/sub-1.0.0.tgz", body: string(bomb(8 << 20))}),
		lim:    Limits{MaxUnpackedBytes: 1 << 20},
		target: ErrLimit,
		want:   []string{"charts/sub-1.0.0.tgz/templates/big.yaml"},
	}, {
		name:    "too many files",
		archive: makeArchive(t, chartFile, tarEntry{name: "evil/a", body: "a"}, tarEntry{name: "evil/b", body: "b"}),
		lim:     Limits{MaxFiles: 2},
		target:  ErrLimit,
		want:    []string{"files in the chart"},
	}, {
		name:    "not gzip",
		archive: []byte("apiVersion: v2\n"),
		target:  ErrInvalid,
		want:    []string{"not a gzipped chart archive"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Helm(context.Background(), Chart{Name: "evil.tgz", Archive: tt.archive}, HelmOptions{ReleaseName: "r", Limits: tt.lim})
			checkErr(t, err, tt.target, tt.want...)
		})
	}
}

func TestHelmRefusesSymlinksInDirectory(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"Chart.yaml":            {Data: []byte(chartYAML)},
		"templates/secret.yaml": {Data: []byte("/etc/shadow"), Mode: fs.ModeSymlink},
	}
	_, err := Helm(context.Background(), Chart{FS: fsys}, HelmOptions{ReleaseName: "r"})
	checkErr(t, err, ErrUnsafeInput, "templates/secret.yaml is a symlink")

	_, err = Helm(context.Background(), Chart{FS: fsys, Dir: "../x"}, HelmOptions{ReleaseName: "r"})
	checkErr(t, err, ErrUnsafeInput, "not a valid path")
}

func TestHelmHonoursContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Helm(ctx, Chart{FS: testdataFS(), Dir: "charts/shop"}, shopOptions())
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("canceled context: err = %v", err)
	}
}
