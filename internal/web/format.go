package web

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gennaker/gennaker/internal/analysis"
)

func trimFloat(f float64, prec int) string {
	s := strconv.FormatFloat(f, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// fmtNumber formats a measured value compactly: at most four significant
// digits (analysis.FormatSig), exponents
// for very large or small magnitudes (with a minus sign no line breaks
// after), infinity (or the judge's stand-in for it) as ∞ and NaN as –.
func fmtNumber(v any) string {
	f, ok := toFloat(v)
	if !ok {
		return fmt.Sprint(v)
	}
	return analysis.FormatSig(f, 4)
}

// expForm is 1.23e-05 without the zero padding: 1.23e-5.
func expForm(f float64) string {
	s := strconv.FormatFloat(f, 'e', 2, 64)
	mant, exp, _ := strings.Cut(s, "e")
	if strings.Contains(mant, ".") {
		mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
	}
	sign := exp[:1]
	exp = strings.TrimLeft(exp[1:], "0")
	if sign == "+" {
		sign = ""
	}
	return mant + "e" + sign + exp
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// fmtRange formats the ends of an interval compactly, with as many more
// digits as it takes to tell them apart.
func fmtRange(lo, hi float64) (string, string) {
	a, b := fmtNumber(lo), fmtNumber(hi)
	for digits := 4; a == b && lo != hi && digits <= 9; digits++ {
		a, b = strconv.FormatFloat(lo, 'g', digits, 64), strconv.FormatFloat(hi, 'g', digits, 64)
	}
	return a, b
}

// fmtInterval is "lo to hi" by fmtRange.
func fmtInterval(lo, hi float64) string {
	a, b := fmtRange(lo, hi)
	return a + " to " + b
}
