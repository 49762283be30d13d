package stats

import "math"

// Alpha is the significance level of a confidence level, 1 − conf, rounded
// to 12 decimal places: confidence levels are written in decimal, and in
// float64 1 − 0.98 is 0.020000000000000018, which would make p = 0.02
// significant at 98%. Alpha(0.98) is 0.02 (the float64 nearest to it).
func Alpha(conf float64) float64 { return math.Round((1-conf)*1e12) / 1e12 }

// Significant reports whether a p-value rejects at the confidence level:
// p < Alpha(conf), so p = 0.02 is not significant at 0.98 and the next float
// below 0.02 is.
func Significant(p, conf float64) bool { return p < Alpha(conf) }
