package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// This file turns stored analysis records into what the canary analysis page
// shows. Records hold two JSON documents owned by the analysis package
// (measurements and verdict). Two shapes are known:
//
//   - the statistical judge (mann-whitney, the default): measurements are an
//     analysis.IntervalData (its config and every sample), the verdict an
//     analysis.Report (per-metric classification and statistics); see
//     analysis_statistical.go.
//   - the threshold judge: measurements {spec, baseline, canary}, the
//     verdict {checks: [{metric, baseline, canary, limit, passed, detail}]}.
//
// Any other record is read generically (analysis_generic.go): verdict
// "checks" or "metrics" give one row per item, measurements "baseline" and
// "canary" are compared field by field, and "scoreThresholds" or
// "thresholds" {pass, marginal} in the verdict, or in measurements "config"
// or "spec", draw the score plot's lines.

// analysisView is the canary analysis page.
type analysisView struct {
	Exec   execSummary
	Stages []analysisStage
}

// analysisStage is the analysis of one deploy stage: its intervals in order.
type analysisStage struct {
	Stage     string
	ID        string // Stage, safe as part of an element id
	Intervals []intervalView
	// Decisive is the interval that decided the outcome: the first failing
	// one, else the last.
	Decisive *intervalView
	Pass     float64
	Marginal float64 // 0: none
	// ThresholdNote says what the lines mean and where they come from.
	ThresholdNote string
	ScorePlot     plot
	// MetricPlots are the generic judges' per-interval bars.
	MetricPlots []metricPlot
	// HasLimit: some check has a limit (a line in MetricPlots, a column in the table).
	HasLimit bool
	// Metrics are the statistical judge's per-metric figures.
	Metrics []metricFigure
}

// intervalView is one judged interval.
type intervalView struct {
	Sequence   int
	Start, End time.Time
	Outcome    string
	Score      float64
	Reason     string
	// Headline is the reason made short, first on the page.
	Headline string
	// Checks are a generic verdict's rows.
	Checks []checkView
	// Metrics and Groups are the statistical judge's.
	Metrics []metricView
	Groups  []scoreGroupView
	Compare []compareRow
	Config  []kv
	Raw     string

	thresholds *[2]float64
	note       string // what the thresholds mean, when the record says
	stat       *statRecord
}

type kv struct{ Key, Value string }

func buildAnalysis(exec execSummary, recs []store.AnalysisRecord) analysisView {
	v := analysisView{Exec: exec}
	byStage := map[string]*analysisStage{}
	var order []string
	for _, rec := range recs {
		st := byStage[rec.Stage]
		if st == nil {
			st = &analysisStage{Stage: rec.Stage, ID: domID(rec.Stage)}
			byStage[rec.Stage] = st
			order = append(order, rec.Stage)
		}
		iv := buildInterval(rec)
		st.Intervals = append(st.Intervals, iv)
		if iv.thresholds != nil {
			st.Pass, st.Marginal = iv.thresholds[0], iv.thresholds[1]
			st.ThresholdNote = iv.note
		}
	}
	for _, name := range order {
		st := byStage[name]
		if st.Pass == 0 {
			st.Pass = 100
			st.ThresholdNote = "this judge passes an interval only when every check passes (score 100)"
		}
		for i := range st.Intervals {
			if o := st.Intervals[i].Outcome; o == "fail" || o == "inconclusive" {
				st.Decisive = &st.Intervals[i]
				break
			}
		}
		if st.Decisive == nil && len(st.Intervals) > 0 {
			st.Decisive = &st.Intervals[len(st.Intervals)-1]
		}
		st.ScorePlot = scorePlot(st.ID+"-score", st.Intervals, st.Pass, st.Marginal)
		st.MetricPlots, st.HasLimit = metricPlots(st.ID, st.Intervals)
		st.Metrics = metricFigures(st.ID, st.Intervals, st.Decisive)
		v.Stages = append(v.Stages, *st)
	}
	return v
}

// buildInterval reads one record, statistical or generic.
func buildInterval(rec store.AnalysisRecord) intervalView {
	iv := intervalView{Sequence: rec.Sequence, Start: rec.StartedAt, End: rec.EndedAt, Outcome: rec.Outcome, Score: rec.Score, Reason: rec.Reason}
	iv.Raw = "verdict: " + indentJSON(rec.Verdict) + "\nmeasurements: " + indentJSON(rec.Measurements)
	if sr, ok := decodeStatistical(rec); ok {
		iv.stat = sr
		fillStatistical(&iv, sr)
		return iv
	}
	iv.Headline = rec.Reason
	fillGeneric(&iv, decodeObject(rec.Verdict), decodeObject(rec.Measurements))
	return iv
}

func decodeObject(b []byte) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	_ = d.Decode(&m)
	return m
}

// thresholdsIn finds {pass, marginal} under "scoreThresholds" or
// "thresholds" in the verdict, or in the measurements' "config" or "spec"
// (except the threshold judge's spec: that judge ignores them).
func thresholdsIn(verdict, meas map[string]any) *[2]float64 {
	config, _ := meas["config"].(map[string]any)
	spec, _ := meas["spec"].(map[string]any)
	if spec["judge"] == model.JudgeThreshold {
		spec = nil
	}
	for _, src := range []map[string]any{verdict, config, spec} {
		for _, key := range []string{"scoreThresholds", "thresholds"} {
			if t, ok := src[key].(map[string]any); ok {
				pass, okP := toFloat(t["pass"])
				marginal, _ := toFloat(t["marginal"])
				if okP && pass > 0 {
					return &[2]float64{pass, marginal}
				}
			}
		}
	}
	return nil
}

func flatten(prefix string, m map[string]any) []kv {
	var out []kv
	for _, k := range slices.Sorted(maps.Keys(m)) {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		out = append(out, flattenValue(key, m[k])...)
	}
	return out
}

// flattenValue lists a value's leaves; a list of objects is keyed by each
// object's name (metrics.error-rate.direction), else by its index.
func flattenValue(key string, v any) []kv {
	switch x := v.(type) {
	case map[string]any:
		return flatten(key, x)
	case []any:
		var out []kv
		for i, e := range x {
			obj, ok := e.(map[string]any)
			if !ok {
				return []kv{{Key: key, Value: show(v)}}
			}
			sub := fmt.Sprintf("%s[%d]", key, i)
			if name, ok := obj["name"].(string); ok && name != "" {
				sub = key + "." + name
				obj = withoutKey(obj, "name")
			}
			out = append(out, flatten(sub, obj)...)
		}
		return out
	}
	return []kv{{Key: key, Value: show(v)}}
}

func withoutKey(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "–"
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmtNumber(v)
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

var notID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// domID makes a name safe and readable as part of an element id.
func domID(name string) string {
	return strings.Trim(notID.ReplaceAllString(name, "-"), "-")
}
