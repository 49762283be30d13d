package analysis

import (
	"math"
	"strings"
	"testing"
)

func TestReadSamplesCSV(t *testing.T) {
	t.Parallel()
	s, err := ReadSamplesCSV("b.csv", strings.NewReader("metric,value\n# a comment\nlatency,0.2\nerrors,\nlatency, 0.3\nerrors,NaN\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Order, ",") != "latency,errors" || len(s.Values["latency"]) != 2 || s.Values["latency"][1] != 0.3 {
		t.Errorf("read %+v", s)
	}
	if e := s.Values["errors"]; len(e) != 2 || !math.IsNaN(e[0]) || !math.IsNaN(e[1]) {
		t.Errorf("empty and NaN values should be NaN samples: %v", e)
	}
	for in, want := range map[string]string{
		"":                            "b.csv: the file is empty",
		"name,value\nx,1\n":           "b.csv:1: the header is \"name,value\"",
		"metric,value\nx,1,2\n":       "b.csv:2: 3 fields",
		"metric,value\n,1\n":          "b.csv:2: the metric name is empty",
		"metric,value\nx,1\nx,1e\n":   `b.csv:3: metric x: "1e" is not a number`,
		"metric,value\nla\"tency,1\n": `b.csv:2:3: bare " in non-quoted-field`,
	} {
		if _, err := ReadSamplesCSV("b.csv", strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

func TestJudgeOfflineMetricsFromSamples(t *testing.T) {
	t.Parallel()
	base := SampleSet{Order: []string{"a"}, Values: map[string][]float64{"a": {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}}
	can := SampleSet{Order: []string{"a", "b"}, Values: map[string][]float64{"a": {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, "b": {1}}}
	// No metrics configured: every metric in the samples is judged; b has
	// no baseline, so too little data, and one final interval is inconclusive.
	res := JudgeOffline(MannWhitneyJudge{}, AnalysisConfig{}, base, can)
	if len(res.Metrics) != 2 || res.Verdict != ScoreInconclusive || len(res.Ignored) != 0 {
		t.Errorf("result %+v", res)
	}
	// Configured metrics only: b is ignored, a passes.
	res = JudgeOffline(MannWhitneyJudge{}, AnalysisConfig{Metrics: []MetricConfig{{Name: "a"}}}, base, can)
	if len(res.Metrics) != 1 || res.Verdict != ScorePass || strings.Join(res.Ignored, ",") != "b" {
		t.Errorf("result %+v", res)
	}
}

func TestReadSamplesCSVSkipsAByteOrderMark(t *testing.T) {
	t.Parallel()
	s, err := ReadSamplesCSV("excel.csv", strings.NewReader("\ufeffmetric,value\r\nlatency,0.2\r\n"))
	if err != nil || len(s.Values["latency"]) != 1 {
		t.Fatalf("read %+v, %v", s, err)
	}
}

func TestMinimumP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n1, n2 int
		want   float64
	}{{2, 2, 2.0 / 6}, {4, 4, 2.0 / 70}, {5, 5, 2.0 / 252}, {1, 1, 1}} {
		if got := minimumP(tc.n1, tc.n2); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("minimumP(%d, %d) = %g, want %g", tc.n1, tc.n2, got, tc.want)
		}
	}
}
