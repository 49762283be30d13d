package kpigen

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
)

// Diff lists where got differs from want: counts exactly, seconds and
// rates to 1e-9 relative, nil against a value exactly. Each line names the
// field by its path (Points[3].Summary.LeadTime.Median).
func Diff(want, got *kpi.Report) []string {
	var d differ
	d.query("Query", want.Query, got.Query)
	d.value("Summary", reflect.ValueOf(want.Summary), reflect.ValueOf(got.Summary))
	d.value("Previous", reflect.ValueOf(want.Previous), reflect.ValueOf(got.Previous))
	d.value("Bands", reflect.ValueOf(want.Bands), reflect.ValueOf(got.Bands))
	if len(want.Points) != len(got.Points) {
		d.add("Points: %d points, want %d", len(got.Points), len(want.Points))
	}
	for i := range min(len(want.Points), len(got.Points)) {
		d.value(fmt.Sprintf("Points[%d]", i), reflect.ValueOf(want.Points[i]), reflect.ValueOf(got.Points[i]))
	}
	d.rows("Teams", want.Teams, got.Teams)
	d.rows("Apps", want.Apps, got.Apps)
	d.value("Adoption", reflect.ValueOf(want.Adoption), reflect.ValueOf(got.Adoption))
	return d.out
}

type differ struct{ out []string }

func (d *differ) add(format string, args ...any) { d.out = append(d.out, fmt.Sprintf(format, args...)) }

func (d *differ) query(path string, want, got kpi.Query) {
	if want.Team != got.Team || want.Application != got.Application || want.Environment != got.Environment ||
		!want.From.Equal(got.From) || !want.To.Equal(got.To) || want.By != got.By {
		d.add("%s: %+v, want %+v", path, got, want)
	}
}

func (d *differ) rows(path string, want, got []kpi.Row) {
	index := func(rs []kpi.Row) map[string]kpi.Row {
		m := map[string]kpi.Row{}
		for _, r := range rs {
			m[r.Name] = r
		}
		return m
	}
	w, g := index(want), index(got)
	var names []string
	for n := range w {
		names = append(names, n)
	}
	for n := range g {
		if _, ok := w[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		wr, wok := w[n]
		gr, gok := g[n]
		switch {
		case !gok:
			d.add("%s[%s]: missing (want a row with %d attempts, %d out-of-band changes)", path, n, wr.Summary.Attempts, wr.Summary.OutOfBand)
		case !wok:
			d.add("%s[%s]: unexpected row (%d attempts, %d out-of-band changes)", path, n, gr.Summary.Attempts, gr.Summary.OutOfBand)
		default:
			d.value(path+"["+n+"]", reflect.ValueOf(wr), reflect.ValueOf(gr))
		}
	}
	if len(want) == len(got) {
		for i := range want {
			if want[i].Name != got[i].Name {
				d.add("%s: rows in order %v, want %v", path, rowNames(got), rowNames(want))
				break
			}
		}
	}
}

func rowNames(rs []kpi.Row) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

var timeType = reflect.TypeOf(time.Time{})

func (d *differ) value(path string, want, got reflect.Value) {
	if want.Type() == timeType {
		if !want.Interface().(time.Time).Equal(got.Interface().(time.Time)) {
			d.add("%s: %v, want %v", path, got.Interface(), want.Interface())
		}
		return
	}
	switch want.Kind() {
	case reflect.Struct:
		for i := range want.NumField() {
			d.value(path+"."+want.Type().Field(i).Name, want.Field(i), got.Field(i))
		}
	case reflect.Pointer:
		switch {
		case want.IsNil() && got.IsNil():
		case want.IsNil():
			d.add("%s: %v, want nil (no data)", path, got.Elem().Interface())
		case got.IsNil():
			d.add("%s: nil (no data), want %v", path, want.Elem().Interface())
		default:
			d.value(path, want.Elem(), got.Elem())
		}
	case reflect.Slice:
		if want.Len() != got.Len() {
			d.add("%s: %d items, want %d", path, got.Len(), want.Len())
		}
		for i := range min(want.Len(), got.Len()) {
			d.value(fmt.Sprintf("%s[%d]", path, i), want.Index(i), got.Index(i))
		}
	case reflect.Float64:
		w, g := want.Float(), got.Float()
		if !near(w, g) {
			d.add("%s: %.12g, want %.12g", path, g, w)
		}
	case reflect.Func:
	default:
		if !reflect.DeepEqual(want.Interface(), got.Interface()) {
			d.add("%s: %v, want %v", path, got.Interface(), want.Interface())
		}
	}
}

// near is equality to 1e-9 relative (sums in another order differ in
// their last bits).
func near(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// Explain lists the facts behind a summary's mismatch: the attempts that
// landed in [from, to) with what the truth says about each, so a reader
// can tell which side is wrong.
func (h *History) Explain(facts []*Fact, app, env string, from, to time.Time, limit int) string {
	var b strings.Builder
	n := 0
	for _, f := range facts {
		if !in(f.End, from, to) || (app != "" && f.Exec.Application != app) || (env != "" && f.Environment != env) {
			continue
		}
		if n++; n > limit {
			fmt.Fprintf(&b, "  ...\n")
			break
		}
		fmt.Fprintf(&b, "  %s %s/%s stage %s version %s: started %s ended %s live=%v moved=%v steps=%d wait=%.0fs",
			f.Exec.ID, f.Exec.Application, f.Environment, f.Stage, f.Version, f.Start.Format(time.RFC3339), f.End.Format(time.RFC3339),
			f.Live, f.TrafficMoved, f.Steps, f.HumanWait)
		if f.HasLead {
			fmt.Fprintf(&b, " lead=%.0fs (start %.0f people %.0f canary %.0f run %.0f)", f.Lead, f.ToStart, f.People, f.Canary, f.Run)
		}
		if f.Cause != "" {
			restored := "never"
			if f.Restored != nil {
				restored = f.Restored.Format(time.RFC3339)
			}
			fmt.Fprintf(&b, " FAILURE %s (%s) failed %s detected %s restored %s", f.Cause, f.Why, f.FailedAt.Format(time.RFC3339), f.Detected.Format(time.RFC3339), restored)
		}
		if f.Rework {
			b.WriteString(" REWORK")
		}
		b.WriteString("\n")
	}
	return b.String()
}
