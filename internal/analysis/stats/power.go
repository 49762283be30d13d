package stats

import "math"

// AREMannWhitney is the asymptotic relative efficiency of the Mann-Whitney
// test to the t-test when the data are normal: 3/π ≈ 0.955. For heavier
// tails (latencies) it is higher, so Power is conservative there.
const AREMannWhitney = 3 / math.Pi

// Power approximates the power of the two-sided Mann-Whitney test at
// significance alpha to detect a location shift delta between samples of
// sizes n1 and n2 whose spread is the standard deviation sd.
//
// It is the normal-approximation power of the two-sample z-test with the
// sample sizes scaled by AREMannWhitney (Noether's approach, no simulation):
//
//	λ = |delta| / (sd * sqrt(1/n1 + 1/n2)) * sqrt(3/π)
//	power = Φ(λ - z) + Φ(-λ - z),  z = Φ⁻¹(1 - alpha/2)
//
// Without spread (sd = 0) any shift is certain to show (1) and no shift gives
// alpha; without samples the power is 0.
func Power(n1, n2 int, sd, delta, alpha float64) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 0
	}
	if delta == 0 {
		return alpha
	}
	if sd <= 0 || math.IsNaN(sd) {
		return 1
	}
	z := -normQuantile(alpha / 2)
	lambda := math.Abs(delta) / (sd * math.Sqrt(1/float64(n1)+1/float64(n2))) * math.Sqrt(AREMannWhitney)
	return normCDF(lambda-z) + normCDF(-lambda-z)
}

// ShiftForCLES is the location shift that gives a common-language effect
// size cles between two normal samples of standard deviation sd:
// CLES = Φ(shift / (sd·√2)). It lets Power take an effect configured as CLES.
func ShiftForCLES(cles, sd float64) float64 {
	return math.Sqrt2 * sd * normQuantile(cles)
}
