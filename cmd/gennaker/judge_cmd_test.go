package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runJudge runs `gennaker judge` in-process and returns its output and exit code.
func runJudge(t *testing.T, args ...string) (stdout string, code int) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"judge"}, args...))
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
	default:
		t.Fatalf("judge %v: %v (stderr %s)", args, err, errOut.String())
	}
	return out.String(), code
}

func writeCSV(t *testing.T, path string, metrics map[string][]float64) {
	t.Helper()
	var b strings.Builder
	b.WriteString("metric,value\n")
	for _, name := range []string{"latency", "errors"} {
		for _, v := range metrics[name] {
			fmt.Fprintf(&b, "%s,%s\n", name, strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

var textVerdict = regexp.MustCompile(`^verdict (\w+), score ([0-9.]+)\n`)

// TestJudgeTextAndJSONAgree: on random samples (ties, infinities, NaN,
// values near the float64 range), `gennaker judge` and `gennaker judge -o
// json` give the same verdict, the same score and the same exit code, and
// the JSON is always written.
func TestJudgeTextAndJSONAgree(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "analysis.yaml")
	if err := os.WriteFile(cfg, []byte(`apiVersion: gennaker.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: edges}
spec:
  minSamples: 5
  metrics:
    - {name: latency, direction: increase, effectSize: {allowedIncrease: 1.1}}
    - {name: errors, direction: increase, nanStrategy: replace, group: errors}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(21, 22))
	kinds := []func(shift float64) float64{
		func(s float64) float64 { return float64(r.IntN(4)) + s },
		func(s float64) float64 { return 0.2 + 0.05*r.Float64() + s/10 },
		func(s float64) float64 {
			if r.Float64() < 0.2+s/5 {
				return math.Inf(1)
			}
			return 0.2 + 0.05*r.Float64()
		},
		func(s float64) float64 { return (2*r.Float64() - 1 + s/3) * math.MaxFloat64 },
		func(s float64) float64 { return (1 + r.Float64() + s) * 1e160 },
		func(s float64) float64 { return []float64{math.NaN(), 0, 1}[r.IntN(3)] + s },
	}
	for i := range 40 {
		gen := kinds[i%len(kinds)]
		side := func(shift float64) map[string][]float64 {
			m := map[string][]float64{}
			for _, name := range []string{"latency", "errors"} {
				for range 5 + r.IntN(40) {
					m[name] = append(m[name], gen(shift))
				}
			}
			return m
		}
		b, c := filepath.Join(dir, "b.csv"), filepath.Join(dir, "c.csv")
		writeCSV(t, b, side(0))
		writeCSV(t, c, side([]float64{0, 0.5, 1}[r.IntN(3)]))
		text, textCode := runJudge(t, "--baseline", b, "--canary", c, "--config", cfg)
		js, jsonCode := runJudge(t, "--baseline", b, "--canary", c, "--config", cfg, "-o", "json")
		var doc struct {
			Verdict string  `json:"verdict"`
			Score   float64 `json:"score"`
		}
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			t.Fatalf("case %d: -o json wrote %q: %v", i, js, err)
		}
		m := textVerdict.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("case %d: text output %q", i, text)
		}
		score, _ := strconv.ParseFloat(m[2], 64)
		if !strings.EqualFold(m[1], doc.Verdict) || score != doc.Score || textCode != jsonCode {
			t.Errorf("case %d: text says %s %v (exit %d), JSON %s %v (exit %d)", i, m[1], score, textCode, doc.Verdict, doc.Score, jsonCode)
		}
	}
}
