package web

import (
	"bytes"
	"testing"

	"github.com/gennaker/gennaker/internal/kpi"
)

// BenchmarkKPIRender renders the KPI page of a year by day (365 points,
// nine charts and their tables): about 40 ms on a busy 2-core machine (the
// charts and tables are written without the template engine, see Body).
func BenchmarkKPIRender(b *testing.B) {
	rep := sampleReport()
	q, _ := kpi.ParseQuery(map[string][]string{"since": {"365d"}, "by": {"day"}}, t0)
	rep.Query = q
	rep.Points = nil
	for _, bk := range q.Buckets() {
		rep.Points = append(rep.Points, kpi.Point{Start: bk, Summary: sampleSummary()})
	}
	pages, _ := parsePages()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := buildKPIPage(&rep, kpiFilter{})
		var buf bytes.Buffer
		if err := pages["kpi.html"].ExecuteTemplate(&buf, "layout.html", page{Data: v}); err != nil {
			b.Fatal(err)
		}
	}
}
