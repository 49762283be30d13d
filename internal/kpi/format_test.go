package kpi

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{FormatSeconds(45), "45s"}, {FormatSeconds(90), "1.5m"}, {FormatSeconds(3600 * 3.25), "3.25h"},
		{FormatSeconds(86400 * 2.123456), "2.123d"}, {FormatSeconds(12.3456789), "12.35s"},
		{Opt(nil, FormatSeconds), "no data"}, {FormatPercent(0.0423456), "4.235%"}, {FormatPercent(0), "0%"},
		{FormatNumber(123456.7), "123457"}, {FormatNumber(0.000123456), "0.0001235"}, {FormatNumber(math.Inf(1)), "∞"},
		{Trend(ptr(2), ptr(1), true), "+100%, better"}, {Trend(ptr(2), ptr(1), false), "+100%, worse"},
		{Trend(ptr(0.5), ptr(1), false), "-50%, better"}, {Trend(ptr(1), ptr(0), false), "up from 0, worse"},
		{Trend(ptr(1), ptr(1), true), "same"}, {Trend(ptr(1), nil, true), "new (no data before)"},
		{Trend(nil, ptr(1), true), "no data now"}, {Trend(nil, nil, true), "-"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
