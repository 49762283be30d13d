package web

import (
	"math"

	"github.com/gennaker/gennaker/internal/analysis"
)

// valueFmt prints a metric's values in its unit (ms or s for latencies, %
// for error rates) with at most four significant digits, and a value tiny
// against the metric's scale (float noise, like a standard deviation of
// 1.46e-17 over samples of about 0.01) as 0.
type valueFmt struct {
	unit  analysis.Unit
	scale float64 // the largest magnitude of the metric's own values
}

// noiseRatio is how far below the scale a value counts as 0.
const noiseRatio = 1e-9

func (f valueFmt) of(v float64) string {
	if f.scale > 0 && math.Abs(v) < f.scale*noiseRatio {
		v = 0
	}
	return analysis.FormatValue(v, f.unit)
}

// interval is "lo to hi", with more digits only when four cannot tell the
// ends apart.
func (f valueFmt) interval(lo, hi float64) string {
	a, b := f.of(lo), f.of(hi)
	if a == b && lo != hi {
		a, b = fmtRange(lo, hi)
	}
	return a + " to " + b
}

// metricFmt is the formatter of one metric's result: its unit from its
// name and query, its scale from the means and the interval of the shift.
func metricFmt(r analysis.MetricResult, query string) valueFmt {
	f := valueFmt{unit: analysis.MetricUnit(r.Name, query)}
	for _, v := range []float64{r.Baseline.Mean, r.Canary.Mean, r.Baseline.Median, r.Canary.Median, r.Low, r.High, r.Estimate} {
		if analysis.Infinite(v) == 0 && !math.IsNaN(v) {
			f.scale = max(f.scale, math.Abs(v))
		}
	}
	return f
}
