package main

import (
	"math"
	"testing"
	"time"
)

func TestShare(t *testing.T) {
	for _, c := range []struct {
		name   string
		costUS float64
		e      engineResult
		want   float64
	}{
		{"one request per execution", 25, engineResult{n: 4000, total: 10 * time.Second}, 0.01},
		{"polls are spread over the executions", 25, engineResult{n: 4000, polls: 400, total: 10 * time.Second}, 0.011},
		{"no batch", 25, engineResult{}, 0},
		{"a credential cheaper than none", -5, engineResult{n: 1000, total: time.Second}, -0.005},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := share(c.costUS, c.e); math.Abs(got-c.want) > 1e-12 {
				t.Errorf("share(%v, %+v) = %v, want %v", c.costUS, c.e, got, c.want)
			}
		})
	}
}

func TestSummarizeTakesDifferencesWithinARound(t *testing.T) {
	// Round 2 is slower for every probe; the difference stays 10 µs.
	mk := func(base, tok time.Duration) round {
		return round{
			samples: []sample{{seq: []time.Duration{base}}, {seq: []time.Duration{tok}}},
			engine:  engineResult{n: 1000, total: time.Second},
		}
	}
	rows := summarize([]probe{{name: "healthz"}, {name: "healthz+token"}}, []round{
		mk(100*time.Microsecond, 110*time.Microsecond),
		mk(300*time.Microsecond, 310*time.Microsecond),
		mk(105*time.Microsecond, 115*time.Microsecond),
	})
	if got := rows[1].dSeq; math.Abs(got-10) > 1e-9 {
		t.Errorf("dSeq = %v, want 10", got)
	}
	if got := rows[1].shareSeq; math.Abs(got-0.01) > 1e-12 {
		t.Errorf("shareSeq = %v, want 0.01 (10 µs of 1000 µs per execution)", got)
	}
}
