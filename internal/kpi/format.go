package kpi

import (
	"math"
	"strconv"
)

// NoData is how a KPI over nothing reads (docs/kpis.md: never 0).
const NoData = "no data"

// FormatNumber writes v with at most four significant digits, without an
// exponent for the sizes KPIs have, and ∞ for an infinity: what the CLI,
// the UI and the digests show people.
func FormatNumber(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	case math.IsNaN(v):
		return NoData
	case math.Abs(v) >= 1e4:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// FormatSeconds writes a duration in seconds in the largest unit it fills,
// with at most four significant digits: 45s, 12.5m, 3.2h, 2.25d.
func FormatSeconds(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return FormatNumber(v)
	}
	a := math.Abs(v)
	switch {
	case a < 60:
		return FormatNumber(v) + "s"
	case a < 3600:
		return FormatNumber(v/60) + "m"
	case a < 86400:
		return FormatNumber(v/3600) + "h"
	}
	return FormatNumber(v/86400) + "d"
}

// FormatPercent writes a fraction as a percentage: 0.0423 is 4.23%.
func FormatPercent(v float64) string { return FormatNumber(v*100) + "%" }

// Opt writes a KPI that may have no data with format.
func Opt(v *float64, format func(float64) string) string {
	if v == nil {
		return NoData
	}
	return format(*v)
}

// Trend compares a KPI with the period before: the relative change and
// whether it is better or worse (higherBetter says which way is better).
func Trend(cur, prev *float64, higherBetter bool) string {
	switch {
	case cur == nil && prev == nil:
		return "-"
	case prev == nil:
		return "new (no data before)"
	case cur == nil:
		return "no data now"
	case *cur == *prev:
		return "same"
	}
	verdict := "worse"
	if (*cur > *prev) == higherBetter {
		verdict = "better"
	}
	if *prev == 0 {
		return "up from 0, " + verdict
	}
	change := (*cur - *prev) / math.Abs(*prev) * 100
	sign := "+"
	if change < 0 {
		sign = ""
	}
	return sign + FormatNumber(change) + "%, " + verdict
}
