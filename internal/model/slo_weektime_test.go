package model

import (
	"testing"
	"time"
)

func TestParseWeekTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want WeekTime
		ok   bool
	}{
		{"Fri 16:00", WeekTime{time.Friday, 16 * 60}, true},
		{"mon 08:05", WeekTime{time.Monday, 8*60 + 5}, true},
		{"Sunday 00:00", WeekTime{time.Sunday, 0}, true},
		{"Sat 23:59", WeekTime{time.Saturday, 23*60 + 59}, true},
		{"Fri 24:00", WeekTime{}, false},
		{"Fri 16", WeekTime{}, false},
		{"Fri 16:0", WeekTime{}, false},
		{"Fr 16:00", WeekTime{}, false},
		{"16:00", WeekTime{}, false},
		{"", WeekTime{}, false},
	}
	for _, tt := range tests {
		got, err := ParseWeekTime(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseWeekTime(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != tt.in && tt.in != "mon 08:05" && tt.in != "Sunday 00:00" {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.in)
		}
	}
}
