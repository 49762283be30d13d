package sloprom

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/slo/prom"
)

// series is one synthetic counter: its labels (__name__ included) and its
// samples, timestamps in milliseconds.
type series struct {
	family string // the OpenMetrics family it is written under
	labels map[string]string
	ts     []int64
	vs     []float64
}

// month is the synthetic month: its series and the moments the test looks
// at closely.
type month struct {
	start, end time.Time
	series     []*series
	// burst is inside the fast checkout error burst; quiet is a calm time.
	burst, quiet time.Time
	special      []time.Time
}

// span is a half-open range of minutes since the start.
type span struct{ from, to int }

func (s span) has(m int) bool { return m >= s.from && m < s.to }

func day(d, h, m int) int { return d*1440 + h*60 + m }

// makeMonth generates 30 days of per-minute scrapes with known features:
// error bursts, a slow hour, a counter reset, scrape gaps, and instances
// scraped at different offsets within the minute.
func makeMonth(start time.Time) *month {
	const minutes = 30 * 1440
	rng := rand.New(rand.NewPCG(18, 2026))
	mo := &month{start: start, end: start.Add(minutes * time.Minute)}
	at := func(min int) time.Time { return start.Add(time.Duration(min) * time.Minute) }

	fastBurst := span{day(10, 3, 0), day(10, 3, 20)} // 30% errors
	slowBurn := span{day(29, 12, 0), day(29, 14, 0)} // 3% errors
	slowHour := span{day(18, 9, 0), day(18, 10, 0)}  // 20% slower than 300ms
	payBurst := span{day(22, 8, 0), day(22, 10, 0)}  // 8% errors
	gapA := span{day(5, 10, 0), day(5, 10, 30)}      // instance a not scraped
	payGap := span{day(25, 0, 0), day(25, 2, 0)}     // pay not scraped
	resetB := day(15, 6, 0)                          // instance b restarts
	mo.burst = at(fastBurst.from + 15)
	mo.quiet = at(day(12, 14, 7))
	mo.special = []time.Time{
		mo.burst, at(fastBurst.to + 3), at(fastBurst.from + 1), mo.quiet,
		at(slowBurn.from + 50), at(slowBurn.to + 20), at(slowHour.from + 40),
		at(payBurst.from + 70), at(gapA.from + 10), at(gapA.to + 1), at(gapA.to + 3),
		at(payGap.from + 3), at(payGap.from + 60), at(payGap.to + 1), at(payGap.to + 4),
		at(resetB + 1), at(resetB + 2), at(resetB + 30),
	}
	for i := range mo.special {
		mo.special[i] = mo.special[i].Add(time.Duration(7+i) * time.Second)
	}
	// On sample times: a sample at both ends of the range (closed or open).
	mo.special = append(mo.special, at(day(20, 7, 0)), at(day(20, 7, 5)).Add(41*time.Second))

	lbl := func(name string, kv ...string) map[string]string {
		m := map[string]string{"__name__": name}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, inst := range []struct {
		name   string
		offset time.Duration
	}{{"a", 0}, {"b", 17*time.Second + 250*time.Millisecond}} {
		ok := &series{family: "http_requests", labels: lbl("http_requests_total", "job", "checkout", "instance", inst.name, "code", "200")}
		bad := &series{family: "http_requests", labels: lbl("http_requests_total", "job", "checkout", "instance", inst.name, "code", "500")}
		fast := &series{family: "http_request_duration_seconds", labels: lbl("http_request_duration_seconds_bucket", "job", "checkout", "instance", inst.name, "le", "0.3")}
		inf := &series{family: "http_request_duration_seconds", labels: lbl("http_request_duration_seconds_bucket", "job", "checkout", "instance", inst.name, "le", "+Inf")}
		count := &series{family: "http_request_duration_seconds", labels: lbl("http_request_duration_seconds_count", "job", "checkout", "instance", inst.name)}
		var c200, c500, cFast, cAll float64
		for m := range minutes {
			if inst.name == "b" && m == resetB {
				c200, c500, cFast, cAll = 0, 0, 0, 0
			}
			reqs := float64(40 + rng.IntN(30))
			errRate, slowRate := 0.0008, 0.02
			switch {
			case fastBurst.has(m):
				errRate = 0.3
			case slowBurn.has(m):
				errRate = 0.03
			}
			if slowHour.has(m) {
				slowRate = 0.2
			}
			errs := math.Floor(reqs*errRate + rng.Float64())
			slow := math.Floor(reqs*slowRate + rng.Float64())
			c200 += reqs - errs
			c500 += errs
			cFast += reqs - slow
			cAll += reqs
			if inst.name == "a" && gapA.has(m) {
				continue
			}
			t := at(m).Add(inst.offset).UnixMilli()
			for _, s := range []struct {
				s *series
				v float64
			}{{ok, c200}, {bad, c500}, {fast, cFast}, {inf, cAll}, {count, cAll}} {
				s.s.ts = append(s.s.ts, t)
				s.s.vs = append(s.s.vs, s.v)
			}
		}
		mo.series = append(mo.series, ok, bad, fast, inf, count)
	}
	reqs := &series{family: "rpc_requests", labels: lbl("rpc_requests_total", "job", "pay")}
	errs := &series{family: "rpc_errors", labels: lbl("rpc_errors_total", "job", "pay")}
	var cReq, cErr float64
	for m := range minutes {
		n := float64(200 + rng.IntN(50))
		rate := 0.0005
		if payBurst.has(m) {
			rate = 0.08
		}
		cReq += n
		cErr += math.Floor(n*rate + rng.Float64())
		if payGap.has(m) {
			continue
		}
		t := at(m).Add(41 * time.Second).UnixMilli()
		reqs.ts, reqs.vs = append(reqs.ts, t), append(reqs.vs, cReq)
		errs.ts, errs.vs = append(errs.ts, t), append(errs.vs, cErr)
	}
	mo.series = append(mo.series, reqs, errs)
	return mo
}

// writeOpenMetrics writes the month as OpenMetrics text for promtool tsdb
// create-blocks-from openmetrics (families contiguous, timestamps in
// seconds, # EOF at the end).
func (mo *month) writeOpenMetrics(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	types := map[string]string{"http_requests": "counter", "http_request_duration_seconds": "histogram", "rpc_requests": "counter", "rpc_errors": "counter"}
	var families []string
	byFamily := map[string][]*series{}
	for _, s := range mo.series {
		if _, ok := byFamily[s.family]; !ok {
			families = append(families, s.family)
		}
		byFamily[s.family] = append(byFamily[s.family], s)
	}
	for _, fam := range families {
		fmt.Fprintf(w, "# TYPE %s %s\n", fam, types[fam])
		for _, s := range byFamily[fam] {
			name := s.labels["__name__"]
			var keys []string
			for k := range s.labels {
				if k != "__name__" {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = k + "=" + strconv.Quote(s.labels[k])
			}
			prefix := name + "{" + strings.Join(parts, ",") + "} "
			for i, t := range s.ts {
				fmt.Fprintf(w, "%s%s %s\n", prefix, strconv.FormatFloat(s.vs[i], 'f', -1, 64), strconv.FormatFloat(float64(t)/1000, 'f', 3, 64))
			}
		}
	}
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// matches says whether a series is selected by sel.
func matches(sel prom.Selector, labels map[string]string) bool {
	if sel.Name != "" && labels["__name__"] != sel.Name {
		return false
	}
	for _, m := range sel.Matchers {
		v := labels[m.Label]
		switch m.Op {
		case "=":
			if v != m.Value {
				return false
			}
		case "!=":
			if v == m.Value {
				return false
			}
		default:
			ok := regexp.MustCompile("^(?:" + m.Value + ")$").MatchString(v)
			if ok != (m.Op == "=~") {
				return false
			}
		}
	}
	return true
}

// sumIncrease is Go's own sum(increase(sel[w])) at t from the raw samples:
// false when no selected series has two samples in the range (Prometheus
// returns nothing then).
func (mo *month) sumIncrease(sel prom.Selector, w time.Duration, t time.Time) (float64, bool) {
	var sum float64
	found := false
	for _, s := range mo.series {
		if !matches(sel, s.labels) {
			continue
		}
		if v, ok := increase(s.ts, s.vs, t.UnixMilli()-w.Milliseconds(), t.UnixMilli()); ok {
			sum += v
			found = true
		}
	}
	return sum, found
}

// leftOpen is set for Prometheus 3.x, whose ranges leave their start out.
var leftOpen = false

// increase is PromQL's increase() over the samples in the range [start,
// end] (milliseconds), as Prometheus 2.x computes it (promql/functions.go
// extrapolatedRate): the range is closed at both ends in 2.x (3.x leaves
// the start out); counter resets add the value before the reset; the
// result is extrapolated from the first and last samples towards the
// range's ends when they are within 1.1 average sample intervals of them
// (else by half an interval), and never to before the counter's
// extrapolated zero.
func increase(ts []int64, vs []float64, start, end int64) (float64, bool) {
	lo, found := slices.BinarySearch(ts, start) // first sample at or after start
	if found && leftOpen {
		lo++
	}
	hi, found := slices.BinarySearch(ts, end)
	if found {
		hi++ // the end is in the range
	}
	if hi-lo < 2 {
		return 0, false
	}
	t, v := ts[lo:hi], vs[lo:hi]
	result := v[len(v)-1] - v[0]
	prev := v[0]
	for _, x := range v[1:] {
		if x < prev {
			result += prev
		}
		prev = x
	}
	durationToStart := float64(t[0]-start) / 1000
	durationToEnd := float64(end-t[len(t)-1]) / 1000
	sampled := float64(t[len(t)-1]-t[0]) / 1000
	avg := sampled / float64(len(t)-1)
	if result > 0 && v[0] >= 0 {
		if toZero := sampled * (v[0] / result); toZero < durationToStart {
			durationToStart = toZero
		}
	}
	threshold := avg * 1.1
	interval := sampled
	if durationToStart < threshold {
		interval += durationToStart
	} else {
		interval += avg / 2
	}
	if durationToEnd < threshold {
		interval += durationToEnd
	} else {
		interval += avg / 2
	}
	return result * (interval / sampled), true
}
