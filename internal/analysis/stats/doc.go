// Package stats holds the statistics the canary judge needs, as pure
// functions on float64 slices: the Mann-Whitney U test (exact distribution
// for small samples without ties, normal approximation with tie and
// continuity correction otherwise), the Hodges-Lehmann estimate of the shift
// between two samples with its confidence interval (R's wilcox.test with
// conf.int=TRUE), IQR outlier fences, means, quantiles and an approximate
// power of the test.
//
// The shift's estimate and interval are order statistics of the n1·n2
// pairwise differences, selected from the sorted samples without listing
// them (shift.go): O(n1+n2) memory, so a million samples a side take
// seconds, not terabytes. ±Inf are values (ranked highest or lowest; equal
// infinities tie and differ by 0), and values near the float64 range are
// summed and averaged without overflowing to a NaN.
//
// Conventions follow scipy.stats.mannwhitneyu and R's wilcox.test: the first
// sample is x (the canary), the second y (the baseline); U is the statistic of
// x (pairs with x > y, plus half the ties); the shift is x - y. Reference
// values from both are in testdata/mannwhitney.json, made by
// scripts/gen_mannwhitney_vectors.py.
package stats
