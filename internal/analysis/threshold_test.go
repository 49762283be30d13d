package analysis

import (
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

const ms10, ms100 = 10_000_000, 100_000_000 // nanoseconds

func TestThresholdJudge(t *testing.T) {
	t.Parallel()
	healthy := traffic(1000, 4, lat{ms10, 1000})
	for _, tc := range []struct {
		name       string
		spec       model.AnalysisSpec
		baseline   Counters
		canary     Counters
		extensions int
		want       Outcome
		score      float64
		reason     string // a substring of the verdict's reason
	}{
		{
			name:     "healthy canary passes",
			baseline: healthy, canary: traffic(1000, 5, lat{ms10, 990}, lat{20_000_000, 10}),
			want: OutcomePass, score: 100,
			reason: "canary 5xx rate 0.5% vs baseline 0.4% is within the allowed increase of 1.0 points",
		},
		{
			name:     "faulty canary fails: 10% errors vs 0%",
			baseline: traffic(1000, 0, lat{ms10, 1000}), canary: traffic(1000, 100, lat{ms10, 1000}),
			want: OutcomeFail, score: 50,
			reason: "canary 5xx rate 10.0% vs baseline 0.0% exceeds the allowed increase of 1.0 points",
		},
		{
			name:     "slow canary fails: p95 100ms vs 10ms",
			baseline: healthy, canary: traffic(1000, 4, lat{ms100, 1000}),
			want: OutcomeFail, score: 50,
			reason: "canary p95 latency 97.5ms vs baseline 9.8ms exceeds the limit of 14.8ms (1.5x baseline, at least baseline + 5.0ms)",
		},
		{
			name:     "faulty and slow: both checks fail",
			baseline: healthy, canary: traffic(1000, 300, lat{ms100, 1000}),
			want: OutcomeFail, score: 0,
			reason: "exceeds the allowed increase of 1.0 points; canary p95 latency 97.5ms",
		},
		{
			name:     "an error rate exactly at the allowed increase passes",
			baseline: traffic(1000, 0, lat{ms10, 1000}), canary: traffic(1000, 10, lat{ms10, 1000}),
			want: OutcomePass, score: 100,
		},
		{
			name:     "a stricter spec fails what the defaults pass",
			spec:     model.AnalysisSpec{MaxErrorRateIncrease: ptr(0.0)},
			baseline: healthy, canary: traffic(1000, 5, lat{ms10, 1000}),
			want: OutcomeFail, score: 50,
			reason: "exceeds the allowed increase of 0.0 points",
		},
		{
			name:     "no data never passes: extend first",
			baseline: Counters{}, canary: Counters{},
			want: OutcomeExtend, score: 0,
			reason: "too little data: canary served 0 requests and baseline 0; each needs at least 50; measuring longer (extension 1 of 3)",
		},
		{
			name:     "too few canary requests extends even when the baseline has plenty",
			baseline: healthy, canary: traffic(49, 0, lat{ms10, 49}), extensions: 2,
			want: OutcomeExtend, reason: "extension 3 of 3",
		},
		{
			name:     "no data after the last extension is inconclusive",
			baseline: healthy, canary: traffic(10, 0, lat{ms10, 10}), extensions: 3,
			want: OutcomeInconclusive, score: 0,
			reason: "too little data after 3 extensions: canary served 10 requests and baseline 1000",
		},
		{
			name:     "a custom minimum and extension budget",
			spec:     model.AnalysisSpec{MinRequests: 5, MaxExtensions: 1},
			baseline: traffic(10, 0, lat{ms10, 10}), canary: traffic(4, 0, lat{ms10, 4}), extensions: 1,
			want: OutcomeInconclusive, reason: "each needs at least 5",
		},
		{
			name:     "without a latency histogram only the error rate is judged",
			baseline: Counters{Requests: 100}, canary: Counters{Requests: 100, Errors: 1},
			want: OutcomePass, score: 100,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := ThresholdJudge{}.Judge(Input{Spec: tc.spec, Baseline: baseline(tc.baseline), Canary: canary(tc.canary), Extensions: tc.extensions})
			if v.Outcome != tc.want || v.Score != tc.score {
				t.Errorf("verdict %s (score %.0f), want %s (score %.0f): %s", v.Outcome, v.Score, tc.want, tc.score, v.Reason)
			}
			if !strings.Contains(v.Reason, tc.reason) {
				t.Errorf("reason %q\nwant it to contain %q", v.Reason, tc.reason)
			}
			if len(v.Checks) == 0 {
				t.Error("a verdict should show its checks")
			}
		})
	}
}

// A baseline answering in 0.2ms must not fail a canary answering in 0.4ms:
// the ratio is 2x, but the difference is noise below LatencyNoiseFloor.
func TestThresholdJudgeLatencyFloor(t *testing.T) {
	t.Parallel()
	m := func(p95 float64) Measurement { return Measurement{Requests: 1000, Observations: 1000, P95: p95} }
	for _, tc := range []struct {
		baseline, canary float64
		want             Outcome
		reason           string
	}{
		{0.0002, 0.0004, OutcomePass, "canary p95 latency 0.4ms vs baseline 0.2ms is within the limit of 5.2ms"},
		{0.0002, 0.0060, OutcomeFail, "canary p95 latency 6.0ms vs baseline 0.2ms exceeds the limit of 5.2ms"},
		{0.100, 0.149, OutcomePass, "is within the limit of 150.0ms"}, // the ratio wins above 10ms
		{0.100, 0.151, OutcomeFail, "exceeds the limit of 150.0ms"},
	} {
		v := ThresholdJudge{}.Judge(Input{Baseline: m(tc.baseline), Canary: m(tc.canary)})
		if v.Outcome != tc.want || !strings.Contains(v.Reason, tc.reason) {
			t.Errorf("baseline %gs, canary %gs: %s %q\nwant %s containing %q", tc.baseline, tc.canary, v.Outcome, v.Reason, tc.want, tc.reason)
		}
	}
}

// Whatever the numbers, a judge never passes an interval without enough requests.
func TestThresholdJudgeNeverPassesWithoutData(t *testing.T) {
	t.Parallel()
	for requests := range uint64(50) {
		for ext := range 5 {
			in := Input{Baseline: baseline(traffic(1000, 0, lat{ms10, 1000})), Canary: canary(traffic(requests, 0, lat{ms10, requests})), Extensions: ext}
			if v := (ThresholdJudge{}).Judge(in); v.Outcome == OutcomePass || v.Outcome == OutcomeFail {
				t.Fatalf("%d canary requests, %d extensions: %s (%s)", requests, ext, v.Outcome, v.Reason)
			}
			in.Baseline, in.Canary = in.Canary, in.Baseline
			if v := (ThresholdJudge{}).Judge(in); v.Outcome == OutcomePass {
				t.Fatalf("%d baseline requests: passed", requests)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	d := Defaults(model.AnalysisSpec{})
	if d.MinRequests != 50 || *d.MaxErrorRateIncrease != 0.01 || *d.MaxLatencyRatio != 1.5 || d.MaxExtensions != 3 {
		t.Errorf("defaults = %+v", d)
	}
	kept := Defaults(model.AnalysisSpec{MinRequests: 7, MaxErrorRateIncrease: ptr(0.0), MaxLatencyRatio: ptr(2.0), MaxExtensions: 1})
	if kept.MinRequests != 7 || *kept.MaxErrorRateIncrease != 0 || *kept.MaxLatencyRatio != 2 || kept.MaxExtensions != 1 {
		t.Errorf("set fields were changed: %+v", kept)
	}
}
