package analysis

// quantile estimates the q-quantile (0 < q <= 1) of the latencies in a
// per-bucket histogram the way Prometheus' histogram_quantile does: find the
// bucket holding the rank q*total and interpolate linearly between its lower
// and upper bound, assuming observations spread evenly inside it. The first
// bucket's lower bound is 0. A rank in the +Inf bucket returns the last finite
// bound, the most the histogram can say. It returns 0 for an empty histogram.
func quantile(q float64, buckets []uint64, bounds []float64) float64 {
	var total uint64
	for _, n := range buckets {
		total += n
	}
	if total == 0 || len(bounds) == 0 {
		return 0
	}
	rank := q * float64(total)
	var below uint64
	for i, n := range buckets {
		if i >= len(bounds) {
			break // the +Inf bucket
		}
		if float64(below+n) >= rank && n > 0 {
			lower := 0.0
			if i > 0 {
				lower = bounds[i-1]
			}
			return lower + (bounds[i]-lower)*(rank-float64(below))/float64(n)
		}
		below += n
	}
	return bounds[len(bounds)-1]
}
