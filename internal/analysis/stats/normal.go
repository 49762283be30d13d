package stats

import "math"

// normCDF is the standard normal distribution function.
func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// normSF is 1 - normCDF(z), accurate in the upper tail.
func normSF(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// normQuantile is the inverse of normCDF (R's qnorm). Go's Erfcinv is
// Wichura's AS241, accurate to about 1e-16.
func normQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
