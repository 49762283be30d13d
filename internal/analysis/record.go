package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
)

// IntervalData is what a canary stage keeps of one judged interval of the
// statistical judge: the config it was judged with, the queries it ran and
// every sample it compared. It is enough to show the decision and to judge
// the same data again with another config (Rejudge).
type IntervalData struct {
	Judge      string          `json:"judge"`
	Config     AnalysisConfig  `json:"config"`
	Canary     string          `json:"canary"`   // server group
	Baseline   string          `json:"baseline"` // server group
	Start      time.Time       `json:"start"`
	End        time.Time       `json:"end"`
	Metrics    []FetchedMetric `json:"metrics"`
	Extensions int             `json:"extensions"`
	Final      bool            `json:"final"`
	// Intervals is how many intervals the step planned (SampleInput.Intervals);
	// 0 in records made before it was kept, which are judged again as one.
	Intervals int `json:"intervals,omitempty"`
}

// FetchedMetric is one metric's samples for an interval and where they came from.
type FetchedMetric struct {
	Name          string  `json:"name"`
	Source        string  `json:"source"`
	BaselineQuery string  `json:"baselineQuery"`
	CanaryQuery   string  `json:"canaryQuery"`
	Baseline      Samples `json:"baseline"`
	Canary        Samples `json:"canary"`
	// BaselineTrials and CanaryTrials are the trials behind each sample
	// when the source knows them (the front door's error_rate: each
	// second's requests); see MetricSamples.
	BaselineTrials []uint64 `json:"baselineTrials,omitempty"`
	CanaryTrials   []uint64 `json:"canaryTrials,omitempty"`
	// BaselineLatency and CanaryLatency are each side's requests of the
	// interval when the source has them (the front door's latency_p95 and
	// latency_p99: the per-second histograms added up), with the Quantile
	// the samples are of; see MetricSamples.
	BaselineLatency *latency.Histogram `json:"baselineLatency,omitempty"`
	CanaryLatency   *latency.Histogram `json:"canaryLatency,omitempty"`
	Quantile        float64            `json:"quantile,omitempty"`
	// Error is why the samples could not be fetched (the metric had no data).
	Error string `json:"error,omitempty"`
}

// Input is the judge's input for this interval's data under cfg. Metrics of
// cfg that were not fetched have no data.
func (d IntervalData) Input(cfg AnalysisConfig) SampleInput {
	in := SampleInput{Config: cfg, Extensions: d.Extensions, Final: d.Final, Intervals: d.Intervals}
	for _, m := range d.Metrics {
		in.Samples = append(in.Samples, MetricSamples{Name: m.Name, Baseline: m.Baseline, Canary: m.Canary,
			BaselineTrials: m.BaselineTrials, CanaryTrials: m.CanaryTrials,
			BaselineLatency: m.BaselineLatency, CanaryLatency: m.CanaryLatency, Quantile: m.Quantile, Error: m.Error})
	}
	return in
}

// Rejudge judges stored interval data again with another config (the
// replay of `gennaker analysis replay`).
func Rejudge(j SampleJudge, d IntervalData, cfg AnalysisConfig) Report {
	return j.JudgeSamples(d.Input(cfg))
}

// Samples are metric values that encode NaN (a query that had no value at a
// step) as JSON null and ±Inf (a latency quantile above a histogram's top
// bucket) as ±math.MaxFloat64, which plain float64 slices cannot: JSON has
// neither. A replay then judges the infinite samples the judge saw.
type Samples []float64

// MarshalJSON writes NaN as null and ±Inf as ±MaxFloat64.
func (s Samples) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, v := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case math.IsNaN(v):
			b.WriteString("null")
			continue
		case math.IsInf(v, 0):
			v = math.Copysign(math.MaxFloat64, v)
		}
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// UnmarshalJSON reads null as NaN and ±MaxFloat64 as ±Inf (records written
// before infinite samples were kept hold null for them: those stay NaN).
func (s *Samples) UnmarshalJSON(data []byte) error {
	var raw []*float64
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	out := make(Samples, len(raw))
	for i, p := range raw {
		switch {
		case p == nil:
			out[i] = math.NaN()
		case math.Abs(*p) == math.MaxFloat64:
			out[i] = math.Copysign(math.Inf(1), *p)
		default:
			out[i] = *p
		}
	}
	*s = out
	return nil
}
