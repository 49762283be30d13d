package analysis

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The fixtures in testdata/judge/*.txt describe judge cases in a small text
// format, one directive a line ('#' starts a comment):
//
//	case NAME                      starts a case
//	config KEY=VALUE ...           minSamples, maxExtensions, pass, marginal,
//	                               confidence, tolerance, extensions, final
//	group NAME=WEIGHT ...          group weights
//	metric NAME [FLAG|KEY=VALUE]…  flags: critical muted mustHaveData;
//	                               keys: direction nanStrategy outliers(factor)
//	                               group weight measure allowedIncrease
//	                               allowedDecrease criticalIncrease criticalDecrease
//	baseline NAME: VALUES          samples; canary NAME: VALUES likewise
//	error NAME: TEXT               the source failed for NAME
//	expect NAME CLASS              a metric's classification (pass high low nodata)
//	expect outcome|verdict|score X the interval's outcome, verdict or score
//	expect critical NAME           NAME is a critical failure
//
// VALUES are numbers, NaN, or promql-style series "A+BxN" (N+1 values A,
// A+B, ..., A+N*B; "A-BxN" counts down).
type fixture struct {
	name, file string
	in         SampleInput
	expect     [][2]string
}

func parseFixtures(t *testing.T, path string) []*fixture {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*fixture
	var cur *fixture
	samples := map[string]*MetricSamples{}
	flush := func() {
		if cur == nil {
			return
		}
		for _, m := range cur.in.Config.Metrics {
			if s, ok := samples[m.Name]; ok {
				cur.in.Samples = append(cur.in.Samples, *s)
			}
		}
		out = append(out, cur)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d", path, line)
		if fields[0] != "case" && cur == nil {
			t.Fatalf("%s: %q before the first case", where, fields[0])
		}
		sample := func() *MetricSamples {
			name := strings.TrimSuffix(fields[1], ":")
			if samples[name] == nil {
				samples[name] = &MetricSamples{Name: name}
			}
			return samples[name]
		}
		switch fields[0] {
		case "case":
			flush()
			cur, samples = &fixture{name: strings.Join(fields[1:], " "), file: where}, map[string]*MetricSamples{}
		case "config":
			for _, kv := range fields[1:] {
				k, v, _ := strings.Cut(kv, "=")
				c := &cur.in.Config
				switch k {
				case "minSamples":
					c.MinSamples = atoi(t, where, v)
				case "maxExtensions":
					c.MaxExtensions = atoi(t, where, v)
				case "extensions":
					cur.in.Extensions = atoi(t, where, v)
				case "pass":
					c.Thresholds.Pass = atof(t, where, v)
				case "marginal":
					c.Thresholds.Marginal = atof(t, where, v)
				case "confidence":
					c.ConfidenceLevel = atof(t, where, v)
				case "tolerance":
					c.Tolerance = atof(t, where, v)
				case "final":
					cur.in.Final = true
				default:
					t.Fatalf("%s: unknown config key %q", where, k)
				}
			}
		case "group":
			for _, kv := range fields[1:] {
				k, v, _ := strings.Cut(kv, "=")
				cur.in.Config.Groups = append(cur.in.Config.Groups, GroupConfig{Name: k, Weight: atof(t, where, v)})
			}
		case "metric":
			cur.in.Config.Metrics = append(cur.in.Config.Metrics, parseMetric(t, where, fields[1:]))
		case "baseline":
			sample().Baseline = parseValues(t, where, fields[2:])
		case "canary":
			sample().Canary = parseValues(t, where, fields[2:])
		case "error":
			sample().Error = strings.Join(fields[2:], " ")
		case "expect":
			if len(fields) != 3 {
				t.Fatalf("%s: expect needs two words", where)
			}
			cur.expect = append(cur.expect, [2]string{fields[1], fields[2]})
		default:
			t.Fatalf("%s: unknown directive %q", where, fields[0])
		}
	}
	flush()
	return out
}

func parseMetric(t *testing.T, where string, fields []string) MetricConfig {
	m := MetricConfig{Name: fields[0]}
	for _, kv := range fields[1:] {
		k, v, _ := strings.Cut(kv, "=")
		e := &m.EffectSize
		switch k {
		case "critical":
			m.Critical = true
		case "muted":
			m.Muted = true
		case "mustHaveData":
			must := v != "false"
			m.MustHaveData = &must
		case "direction":
			m.Direction = Direction(v)
		case "nanStrategy":
			m.NaNStrategy = NaNStrategy(v)
		case "outliers":
			m.Outliers = &OutlierConfig{Strategy: "remove", Factor: atof(t, where, v)}
		case "group":
			m.Group = v
		case "weight":
			m.Weight = atof(t, where, v)
		case "measure":
			e.Measure = EffectMeasure(v)
		case "allowedIncrease":
			e.AllowedIncrease = atof(t, where, v)
		case "allowedDecrease":
			e.AllowedDecrease = atof(t, where, v)
		case "criticalIncrease":
			e.CriticalIncrease = atof(t, where, v)
		case "criticalDecrease":
			e.CriticalDecrease = atof(t, where, v)
		default:
			t.Fatalf("%s: unknown metric key %q", where, k)
		}
	}
	return m
}

func parseValues(t *testing.T, where string, fields []string) []float64 {
	var out []float64
	for _, f := range fields {
		if base, n, ok := strings.Cut(f, "x"); ok {
			i := strings.LastIndexAny(base, "+-")
			if i <= 0 {
				t.Fatalf("%s: series %q is not A+BxN", where, f)
			}
			a, b := atof(t, where, base[:i]), atof(t, where, base[i:])
			for k := 0; k <= atoi(t, where, n); k++ {
				out = append(out, a+float64(k)*b)
			}
			continue
		}
		out = append(out, atof(t, where, f))
	}
	return out
}

func atoi(t *testing.T, where, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return n
}

func atof(t *testing.T, where, s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return v
}

func TestJudgeFixtures(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/judge/*.txt")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, file := range files {
		for _, fx := range parseFixtures(t, file) {
			t.Run(filepath.Base(file)+"/"+fx.name, func(t *testing.T) {
				t.Parallel()
				if err := fx.in.Config.Validate(); err != nil {
					t.Fatalf("%s: %v", fx.file, err)
				}
				rep := MannWhitneyJudge{}.JudgeSamples(fx.in)
				metrics := map[string]MetricResult{}
				for _, m := range rep.Metrics {
					metrics[m.Name] = m
				}
				for _, e := range fx.expect {
					var got string
					switch e[0] {
					case "outcome":
						got = string(rep.Outcome)
					case "verdict":
						got = string(rep.Verdict)
					case "score":
						if math.Abs(rep.Score-atof(t, fx.file, e[1])) < 0.05 {
							continue
						}
						got = fmt.Sprintf("%.2f", rep.Score)
					case "critical":
						if metrics[e[1]].CriticalFailure {
							continue
						}
						got = "not a critical failure"
					default:
						m, ok := metrics[e[0]]
						if !ok {
							t.Fatalf("%s: no metric %q", fx.file, e[0])
						}
						got = string(m.Classification)
					}
					if got != e[1] {
						t.Errorf("%s: %s = %s, want %s\nreason: %s", fx.file, e[0], got, e[1], rep.Reason)
					}
				}
			})
		}
	}
}
