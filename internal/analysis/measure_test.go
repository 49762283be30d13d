package analysis

import (
	"math"
	"testing"
)

func TestQuantileInterpolatesLikePrometheus(t *testing.T) {
	t.Parallel()
	b := []float64{0.1, 0.2, 0.4}
	for _, tc := range []struct {
		name    string
		buckets []uint64
		q, want float64
	}{
		{"median at the first bucket's top", []uint64{10, 10, 0, 0}, 0.5, 0.1},
		{"p75 halfway through the second bucket", []uint64{10, 10, 0, 0}, 0.75, 0.15},
		{"the first bucket starts at 0", []uint64{4, 0, 0, 0}, 0.5, 0.05},
		{"empty buckets are skipped", []uint64{0, 0, 10, 0}, 0.5, 0.3},
		{"+Inf bucket gives the last bound", []uint64{1, 0, 0, 9}, 0.95, 0.4},
		{"empty histogram", []uint64{0, 0, 0, 0}, 0.5, 0},
		{"no +Inf bucket", []uint64{0, 2, 2}, 0.5, 0.2},
	} {
		if got := quantile(tc.q, tc.buckets, b); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: quantile(%g) = %g, want %g", tc.name, tc.q, got, tc.want)
		}
	}
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	m := Measure("app-v003", "canary", traffic(200, 20, lat{ms10, 100}, lat{ms100, 100}))
	if m.ErrorRate != 0.1 || m.Observations != 200 {
		t.Errorf("error rate %g, observations %d", m.ErrorRate, m.Observations)
	}
	if math.Abs(m.MeanLatency-0.055) > 1e-9 {
		t.Errorf("mean latency %g, want 0.055", m.MeanLatency)
	}
	// 100 in (5ms,10ms], 100 in (50ms,100ms]: p50 is the top of the first, p99 near the top of the second.
	if math.Abs(m.P50-0.01) > 1e-9 || math.Abs(m.P99-0.099) > 1e-9 {
		t.Errorf("p50 %g, p99 %g", m.P50, m.P99)
	}
	if z := Measure("x", "baseline", Counters{}); z.ErrorRate != 0 || z.P95 != 0 || z.MeanLatency != 0 || math.IsNaN(z.MeanLatency) {
		t.Errorf("empty counters measured %+v", z)
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	start := traffic(100, 5, lat{ms10, 100})
	end := traffic(300, 6, lat{ms10, 250}, lat{ms100, 50})
	d := Diff(end, start)
	if d.Requests != 200 || d.Errors != 1 || d.Buckets[1] != 150 || d.Buckets[4] != 50 {
		t.Errorf("diff = %+v", d)
	}
	if math.Abs(d.Sum-(150*0.01+50*0.1)) > 1e-9 {
		t.Errorf("sum = %g", d.Sum)
	}
	// The proxy restarted: its counters went down, so the end reading is the interval.
	restarted := traffic(40, 1, lat{ms10, 40})
	if r := Diff(restarted, end); r.Requests != 40 || r.Errors != 1 || r.Buckets[1] != 40 {
		t.Errorf("after a reset diff = %+v, want the end reading", r)
	}
	// Diff must not alias its inputs.
	d.Buckets[0] = 99
	r := Diff(restarted, end)
	r.Buckets[1] = 0
	if restarted.Buckets[1] != 40 || start.Buckets[0] != 0 {
		t.Error("Diff aliased its input slices")
	}
}
