package render

import (
	"context"
	"io/fs"
	"maps"
	"strings"
	"testing"
	"text/template"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/engine"
)

// The injected ticks print nothing and keep every trim marker's effect.
func TestTicksKeepOutput(t *testing.T) {
	t.Parallel()
	data := map[string]any{"items": []string{"a", "b"}, "m": map[string]int{"x": 1, "y": 2}, "empty": []int{}}
	tests := []string{
		"{{range .items}}\n  - {{.}}\n{{end}}",
		"{{range .items -}}\n  - {{.}}\n{{- end}}",
		"{{- range $k, $v := .m }}\n{{ $k }}={{ $v }}\n{{- end }}\n",
		"{{range .empty}}x{{else}}none{{end}}",
		"{{ range .items }}{{ if eq . \"a\" }}{{ continue }}{{ end }}{{ . }}{{ end }}",
		"{{define \"d\" -}}\n  body {{.}}\n{{- end}}{{template \"d\" \"v\"}}",
		"{{define \"d\"}}\n  body\n{{end}}[{{template \"d\"}}]",
		"{{/* {{range .items}} in a comment */}}x",
		"{{/* comment */ -}}\n  y",
		"{{ \"{{range .items}}\" }}",
		"{{ `{{range .items}}` }}",
		"{{ '}' }}{{range .items}}{{.}}{{end}}",
		"{{range $i, $e := .items}}{{$i}}{{$e}}{{end}}",
		"{{range 3}}{{.}}{{end}}",
		"{{with .items}}{{range .}}{{.}}{{end}}{{end}}",
		"a {{- range .items -}} {{.}} {{- end -}} b",
		"{{range\n.items\n}}{{.}}{{end}}",
		"{{rangex}}", // not a range: an unknown function, left alone
	}
	funcs := template.FuncMap{tickFunc: func() string { return "" }, "rangex": func() string { return "r" }}
	for _, src := range tests {
		want, werr := execTemplate(src, data, funcs)
		injected := injectTicks("t", src)
		got, gerr := execTemplate(injected, data, funcs)
		if (werr != nil) != (gerr != nil) || got != want {
			t.Errorf("template %q\ninjected %q\n got %q (%v)\nwant %q (%v)", src, injected, got, gerr, want, werr)
		}
		if strings.Count(injected, "\n") != strings.Count(src, "\n") {
			t.Errorf("injection changed the line count of %q", src)
		}
	}
}

func execTemplate(src string, data any, funcs template.FuncMap) (string, error) {
	t, err := template.New("t").Funcs(funcs).Parse(src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = t.Execute(&b, data)
	return b.String(), err
}

// The shop chart renders the same with gennaker's checks as with Helm's
// engine alone.
func TestTicksKeepChartOutput(t *testing.T) {
	t.Parallel()
	lim := Limits{}.withDefaults()
	render := func(inject bool) map[string]string {
		ch, err := loadChart(Chart{FS: testdataFS(), Dir: "charts/shop"}, lim)
		if err != nil {
			t.Fatal(err)
		}
		opts := shopOptions()
		user, err := userValues("shop", opts, lim)
		if err != nil {
			t.Fatal(err)
		}
		caps, _ := capabilities(opts)
		vals, err := commonutil.ToRenderValuesWithSchemaValidation(ch, user, common.ReleaseOptions{Name: "r", Namespace: "n"}, caps, true)
		if err != nil {
			t.Fatal(err)
		}
		var eng engine.Engine
		if inject {
			injectChartTicks(ch)
			eng.CustomTemplateFuncs = (&renderState{ctx: context.Background(), lim: lim}).funcs()
		}
		out, err := eng.RenderWithContext(context.Background(), ch, vals)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	plain, checked := render(false), render(true)
	if !maps.Equal(plain, checked) {
		for k := range plain {
			if plain[k] != checked[k] {
				t.Errorf("%s differs:\n%s\n----\n%s", k, plain[k], checked[k])
			}
		}
	}
}

func FuzzInjectTicks(f *testing.F) {
	for _, s := range []string{"{{range .}}x{{end}}", "{{define \"a\" -}} {{end}}", "{{/* c */}}", "{{ \"}}\" }}", "{{- range 3 -}}{{.}}{{- end -}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, _ := insertTicks(src)
		if parses("f", src) && !parses("f", out) {
			t.Errorf("injection breaks a template that parses: %q -> %q", src, out)
		}
		if injectTicks("f", src) != src && strings.Count(out, "\n") != strings.Count(src, "\n") {
			t.Errorf("injection changed the line count: %q", src)
		}
	})
}

// The archive reader never panics, never runs past its limits and never
// returns a name that leaves the chart.
func FuzzReadArchive(f *testing.F) {
	f.Add(makeArchive(f, tarEntry{name: "c/Chart.yaml", body: chartYAML}, tarEntry{name: "c/templates/a.yaml", body: "a: b"}))
	f.Add(makeArchive(f, tarEntry{name: "c/charts/s.tgz", body: string(makeArchive(f, tarEntry{name: "s/Chart.yaml", body: chartYAML}))}))
	f.Add(makeArchive(f, tarEntry{name: "c/../x", body: "x"}))
	f.Add([]byte{0x1f, 0x8b, 0x08})
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxUnpackedBytes: 1 << 20, MaxFiles: 100}.withDefaults()
		b := &budget{source: "fuzz", lim: lim, unpackedLimit: lim.MaxUnpackedBytes, unpackedWhat: "unpacked"}
		files, err := readArchive(b, "", data, 0)
		if err != nil {
			return
		}
		var total int64
		for _, f := range files {
			if !fs.ValidPath(f.Name) {
				t.Errorf("file name %q leaves the chart", f.Name)
			}
			total += int64(len(f.Data))
		}
		if total > lim.MaxUnpackedBytes || len(files) > lim.MaxFiles {
			t.Errorf("read %d bytes in %d files past the limits", total, len(files))
		}
	})
}
