package analysis

import (
	"math"
	"strconv"
	"strings"
)

// Unit is what a metric's values measure, so that they print in human units.
type Unit string

const (
	// UnitNone: a plain number (a count, a ratio without a known scale).
	UnitNone Unit = ""
	// UnitSeconds: a duration in seconds, printed in µs, ms or s.
	UnitSeconds Unit = "s"
	// UnitFraction: a share between 0 and 1, printed in percent.
	UnitFraction Unit = "fraction"
)

// MetricUnit guesses a metric's unit from its name and query: latencies and
// durations are seconds (the front door's and Prometheus' convention), error
// rates and ratios of errors are fractions, anything else a plain number.
func MetricUnit(name, query string) Unit {
	s := strings.ToLower(name + " " + query)
	switch {
	case strings.Contains(s, "latency"), strings.Contains(s, "duration"), strings.Contains(s, "_seconds"):
		return UnitSeconds
	case strings.Contains(s, "error") && (strings.Contains(s, "rate") || strings.Contains(s, "ratio")):
		return UnitFraction
	}
	return UnitNone
}

// FormatSig prints v with at most digits significant digits and no
// exponent between 1e-4 and 1e6 (12.35, 0.001234, 123500), an exponent
// beyond (1.2e-7, 3.4e+9 as 3.4e9); ∞ and −∞ for infinity (or the judge's
// stand-in for it, see Infinite), – for NaN.
func FormatSig(v float64, digits int) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case Infinite(v) > 0:
		return "∞"
	case Infinite(v) < 0:
		return "−∞"
	case v == 0:
		return "0"
	}
	a := math.Abs(v)
	if a < 1e-4 || a >= 1e6 {
		s := strconv.FormatFloat(v, 'e', digits-1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		if strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		e, _ := strconv.Atoi(exp)
		return minus(mant) + "e" + minus(strconv.Itoa(e))
	}
	// Round to digits significant digits, then print without exponent.
	mag := int(math.Floor(math.Log10(a)))
	dec := max(digits-1-mag, 0)
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if r, _ := strconv.ParseFloat(s, 64); math.Abs(r) >= math.Pow(10, float64(mag+1)) && dec > 0 {
		s = strconv.FormatFloat(v, 'f', dec-1, 64) // 9.9996 rounds up to 10.000
	}
	if dec == 0 && mag+1 > digits {
		// 123456 → 123500: keep the magnitude, drop the extra digits.
		p := math.Pow(10, float64(mag+1-digits))
		s = strconv.FormatFloat(math.Round(v/p)*p, 'f', 0, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return minus(s)
}

// minus writes a negative sign as the minus sign (−), which no browser
// breaks a line after.
func minus(s string) string {
	if strings.HasPrefix(s, "-") {
		return "−" + s[1:]
	}
	return s
}

// FormatValue prints a measured value in its unit with at most four
// significant digits: 71.6 ms, 1.25 s, 3.2%, 12.5; ∞ for infinity.
func FormatValue(v float64, u Unit) string {
	if math.IsNaN(v) || Infinite(v) != 0 {
		return FormatSig(v, 4)
	}
	switch u {
	case UnitSeconds:
		a := math.Abs(v)
		switch {
		case a == 0:
			return "0 ms"
		case a < 1e-3:
			return FormatSig(v*1e6, 4) + " µs"
		case a < 1:
			return FormatSig(v*1e3, 4) + " ms"
		}
		return FormatSig(v, 4) + " s"
	case UnitFraction:
		return FormatSig(v*100, 4) + "%"
	}
	return FormatSig(v, 4)
}

// FormatChange says how far the canary moved from the baseline in one
// token: "+38%" relative to a finite, non-zero baseline, else "0 → 22%"
// (from the baseline to the canary, in the unit).
func FormatChange(base, canary float64, u Unit) string {
	if base != 0 && Infinite(base) == 0 && Infinite(canary) == 0 && !math.IsNaN(base) && !math.IsNaN(canary) {
		pct := (canary/base - 1) * 100
		s := FormatSig(math.Round(pct*10)/10, 3) + "%"
		if pct > 0 {
			return "+" + s
		}
		return s
	}
	return FormatValue(base, u) + " → " + FormatValue(canary, u)
}
