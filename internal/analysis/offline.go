package analysis

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// SampleSet is one side's values per metric, in the order the metrics first
// appeared, as read from a CSV file by ReadSamplesCSV.
type SampleSet struct {
	Order  []string
	Values map[string][]float64
}

// ReadSamplesCSV reads samples written as CSV with the header `metric,value`
// and one sample per row. A metric's name may repeat; an empty value or NaN
// is a NaN sample (the metric's nanStrategy decides what becomes of it);
// Inf, +Inf and -Inf are infinite samples. A metric may have at most
// MaxSamples samples.
// Errors name the file and line and say how to fix it.
func ReadSamplesCSV(name string, r io.Reader) (SampleSet, error) {
	s := SampleSet{Values: map[string][]float64{}}
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3) // a UTF-8 byte-order mark, as spreadsheets write
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	header := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			return s, fmt.Errorf("%s:%d:%d: %v: write one metric name and one value per line, such as `latency,0.25`", name, perr.Line, perr.Column, perr.Err)
		}
		if err != nil {
			return s, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if header {
			header = false
			if len(rec) != 2 || !strings.EqualFold(strings.TrimSpace(rec[0]), "metric") || !strings.EqualFold(strings.TrimSpace(rec[1]), "value") {
				return s, fmt.Errorf("%s:%d: the header is %q: the first line must be `metric,value`", name, line, strings.Join(rec, ","))
			}
			continue
		}
		if len(rec) != 2 {
			return s, fmt.Errorf("%s:%d: %d fields: write one metric name and one value per line, such as `latency,0.25`", name, line, len(rec))
		}
		metric, raw := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if metric == "" {
			return s, fmt.Errorf("%s:%d: the metric name is empty: name the metric the value belongs to", name, line)
		}
		v := math.NaN()
		if raw != "" && !strings.EqualFold(raw, "nan") {
			v, err = strconv.ParseFloat(raw, 64)
			if err != nil {
				return s, fmt.Errorf("%s:%d: metric %s: %q is not a number: write a number, NaN, or leave it empty", name, line, metric, raw)
			}
		}
		if _, seen := s.Values[metric]; !seen {
			s.Order = append(s.Order, metric)
		}
		s.Values[metric] = append(s.Values[metric], v)
		if n := len(s.Values[metric]); n > MaxSamples {
			return s, fmt.Errorf("%s:%d: %w: metric %s has more than %d samples, the judge's cap per side: judge a shorter interval, or aggregate the samples (e.g. one per second)",
				name, line, ErrTooManySamples, metric, MaxSamples)
		}
	}
	if header {
		return s, fmt.Errorf("%s: the file is empty: write the header `metric,value` and one sample per line", name)
	}
	return s, nil
}

// Named reports whether any metric of cfg has samples on either side.
func (s SampleSet) Named(cfg AnalysisConfig) bool {
	for _, m := range cfg.Metrics {
		if _, ok := s.Values[m.Name]; ok {
			return true
		}
	}
	return len(cfg.Metrics) == 0
}

// OfflineResult is the verdict on two sets of samples judged offline
// (`gennaker judge`), as one interval that is also the last.
type OfflineResult struct {
	// Verdict is pass, marginal, fail or inconclusive.
	Verdict ScoreClass     `json:"verdict"`
	Score   float64        `json:"score"`
	Reason  string         `json:"reason"`
	Metrics []MetricResult `json:"metrics"`
	Groups  []GroupScore   `json:"groups"`
	// Ignored are metrics in the samples that the config does not name.
	Ignored []string `json:"ignored,omitempty"`
}

// JudgeOffline judges canary against baseline samples with cfg as one
// final interval: too little data is inconclusive at once (there is no
// longer interval to wait for), a marginal score is the verdict marginal.
// A config without metrics judges every metric in the samples with the
// default settings (direction either, weight 1).
func JudgeOffline(j SampleJudge, cfg AnalysisConfig, baseline, canary SampleSet) OfflineResult {
	names := slices.Clone(baseline.Order)
	for _, n := range canary.Order {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(cfg.Metrics) == 0 {
		for _, n := range names {
			cfg.Metrics = append(cfg.Metrics, MetricConfig{Name: n})
		}
	}
	var res OfflineResult
	var in []MetricSamples
	for _, n := range names {
		if !slices.ContainsFunc(cfg.Metrics, func(m MetricConfig) bool { return m.Name == n }) {
			res.Ignored = append(res.Ignored, n)
			continue
		}
		in = append(in, MetricSamples{Name: n, Baseline: baseline.Values[n], Canary: canary.Values[n]})
	}
	extensions := cfg.WithDefaults().MaxExtensions
	rep := j.JudgeSamples(SampleInput{Config: cfg, Samples: in, Extensions: extensions, Final: true})
	res.Verdict, res.Score, res.Reason, res.Metrics, res.Groups = rep.Verdict, rep.Score, rep.Reason, rep.Metrics, rep.Groups
	// Offline there is no longer interval to wait for: say so, not "after 3 extensions".
	res.Reason = strings.Replace(res.Reason, fmt.Sprintf("too little data after %d extensions", extensions), "too little data in the samples", 1)
	return res
}
