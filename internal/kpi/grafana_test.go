package kpi

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The metrics gennaker exports on /metrics for the KPIs: the names the
// dashboard (docs/grafana-kpis.json) may use. Histograms are read through
// their _bucket, _sum and _count series.
var (
	kpiCounters = []string{
		"gennaker_kpi_deploys_total", "gennaker_kpi_change_failures_total", "gennaker_kpi_rework_deploys_total",
		"gennaker_kpi_manual_steps_total", "gennaker_kpi_human_wait_seconds_total", "gennaker_kpi_out_of_band_changes_total",
	}
	kpiHistograms = []string{"gennaker_kpi_lead_time_seconds", "gennaker_kpi_recovery_time_seconds"}
	kpiGauges     = []string{"gennaker_kpi_folded_event_id"}
)

func kpiMetricNames() []string {
	names := append(slices.Clone(kpiCounters), kpiGauges...)
	for _, h := range kpiHistograms {
		names = append(names, h+"_bucket", h+"_sum", h+"_count")
	}
	return names
}

// PromQL words that are neither functions nor metrics.
var promqlKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan"}

var (
	promString     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers   = regexp.MustCompile(`\{[^{}]*\}`)
	promRange      = regexp.MustCompile(`\[[^\[\]]*\]`)
	promGrouping   = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promVariable   = regexp.MustCompile(`\$\{?\w+\}?`)
	promIdentifier = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
)

// exprMetrics returns the metric names expr reads, and the words it could
// not place (neither a function, a keyword nor a metric of ours). Without
// a PromQL parser in go.mod, it strips what cannot hold a metric name
// (strings, label matchers, ranges, grouping labels, Grafana variables)
// and reads the identifiers left.
func exprMetrics(expr string) (metrics, unknown []string) {
	s := promString.ReplaceAllString(expr, `""`)
	// Metric names before a selector are kept: only the braces go.
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRange.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	s = promVariable.ReplaceAllString(s, " ")
	allowed := kpiMetricNames()
	for _, m := range promIdentifier.FindAllString(s, -1) {
		switch {
		case strings.HasSuffix(m, "("):
			continue // a function call
		case slices.Contains(promqlKeywords, strings.ToLower(m)):
		case slices.Contains(allowed, m):
			metrics = append(metrics, m)
		default:
			unknown = append(unknown, m)
		}
	}
	return metrics, unknown
}

// balanced reports whether expr's brackets pair up (outside strings).
func balanced(expr string) bool {
	var stack []rune
	pairs := map[rune]rune{')': '(', '}': '{', ']': '['}
	for _, r := range promString.ReplaceAllString(expr, `""`) {
		switch r {
		case '(', '{', '[':
			stack = append(stack, r)
		case ')', '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0
}

type grafanaPanel struct {
	Type        string                                   `json:"type"`
	Title       string                                   `json:"title"`
	Datasource  *struct{ UID string }                    `json:"datasource"`
	Targets     []struct{ Expr string }                  `json:"targets"`
	FieldConfig struct{ Defaults struct{ Unit string } } `json:"fieldConfig"`
	Panels      []grafanaPanel                           `json:"panels"`
}

// The ready dashboard reads only the metrics gennaker exports, sums
// across replicas (each event is folded by one, so each counter is a
// replica's share), has a unit on every panel, DORA's bands as thresholds,
// and the datasource, team, application and environment variables.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../../docs/grafana-kpis.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		SchemaVersion int            `json:"schemaVersion"`
		Panels        []grafanaPanel `json:"panels"`
		Templating    struct {
			List []struct{ Name, Type string } `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("docs/grafana-kpis.json: %v", err)
	}
	if dash.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d is older than Grafana 10's", dash.SchemaVersion)
	}
	var vars []string
	for _, v := range dash.Templating.List {
		vars = append(vars, v.Name)
	}
	for _, want := range []string{"datasource", "team", "application", "environment"} {
		if !slices.Contains(vars, want) {
			t.Errorf("no template variable %s (have %v)", want, vars)
		}
	}
	used := map[string]bool{}
	var walk func(ps []grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q does not use the datasource variable", p.Title)
			}
			if p.FieldConfig.Defaults.Unit == "" {
				t.Errorf("panel %q has no unit", p.Title)
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				e := tg.Expr
				metrics, unknown := exprMetrics(e)
				if len(unknown) > 0 {
					t.Errorf("panel %q reads %v, which gennaker does not export: %s", p.Title, unknown, e)
				}
				if len(metrics) == 0 {
					t.Errorf("panel %q reads no KPI metric: %s", p.Title, e)
				}
				if !balanced(e) {
					t.Errorf("panel %q: brackets do not pair up: %s", p.Title, e)
				}
				if !strings.Contains(e, "sum(") && !strings.Contains(e, "sum by") && !strings.HasPrefix(e, "max(") {
					t.Errorf("panel %q does not aggregate across replicas: %s", p.Title, e)
				}
				if strings.Contains(e, "_bucket") && !strings.Contains(e, "sum by (le)") {
					t.Errorf("panel %q takes a quantile without summing buckets by le: %s", p.Title, e)
				}
				for _, m := range metrics {
					used[strings.TrimSuffix(m, "_bucket")] = true
				}
			}
		}
	}
	walk(dash.Panels)
	for _, m := range append(append(slices.Clone(kpiCounters), kpiHistograms...), kpiGauges...) {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
	// DORA's band limits (docs/kpis.md, "Bands") are the thresholds.
	for _, limit := range []string{`"value": 86400`, `"value": 604800`, `"value": 2592000`, `"value": 3600`,
		`"value": 0.0500001`, `"value": 0.1000001`, `"value": 0.1500001`, `"value": 1`} {
		if !strings.Contains(string(b), limit) {
			t.Errorf("no threshold %s", limit)
		}
	}
}

// The checker itself finds foreign metrics.
func TestExprMetrics(t *testing.T) {
	m, unknown := exprMetrics(`histogram_quantile(0.9, sum by (le) (rate(gennaker_kpi_lead_time_seconds_bucket{team=~"$team", x="up"}[$__rate_interval]))) / on (job) up`)
	if !slices.Equal(m, []string{"gennaker_kpi_lead_time_seconds_bucket"}) || !slices.Equal(unknown, []string{"up"}) {
		t.Errorf("metrics %v, unknown %v", m, unknown)
	}
	if _, unknown := exprMetrics(`sum(gennaker_kpi_deploy_total)`); len(unknown) != 1 {
		t.Errorf("a misspelt metric passes: %v", unknown)
	}
	if balanced(`sum(rate(x[5m])`) || !balanced(`sum(rate(x{a="("}[5m]))`) {
		t.Error("balanced")
	}
}

// Every query parses as PromQL, by Prometheus's own promtool (Debian's
// prometheus package, which scripts/test-deps.sh installs), with Grafana's
// variables set as Grafana would.
func TestGrafanaExprsParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed: scripts/test-deps.sh installs it (Debian's prometheus package)")
	}
	b, err := os.ReadFile("../../docs/grafana-kpis.json")
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	var collect func(v any)
	collect = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if e, ok := v["expr"].(string); ok {
				exprs = append(exprs, e)
			}
			for _, c := range v {
				collect(c)
			}
		case []any:
			for _, c := range v {
				collect(c)
			}
		}
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	collect(doc)
	vars := strings.NewReplacer("$__range_s", "7776000", "$__range", "90d", "$__rate_interval", "5m",
		"$team", ".*", "$application", ".*", "$environment", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboard\n  rules:\n")
	for i, e := range exprs {
		q, _ := json.Marshal(vars.Replace(e)) // a JSON string is a YAML string
		fmt.Fprintf(&rules, "  - record: gennaker:dashboard_%d\n    expr: %s\n", i, q)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check rules: %v\n%s\n%s", err, out, rules.String())
	}
	if len(exprs) < 10 {
		t.Errorf("only %d queries found", len(exprs))
	}
}

// The dashboard's queries give the KPIs' definitions when Prometheus
// (promtool test rules) evaluates them over two replicas' counters: each
// replica holds its share, and the panels sum them.
func TestGrafanaQueriesEvaluate(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed: scripts/test-deps.sh installs it (Debian's prometheus package)")
	}
	b, err := os.ReadFile("../../docs/grafana-kpis.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct{ Panels []grafanaPanel }
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	exprs := map[string][]string{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs[p.Title] = append(exprs[p.Title], tg.Expr)
		}
	}
	// A week of hourly samples from replicas a and b of cart in prod
	// (team pay): a folds 3 deploys that go live an hour, b 1 that goes
	// live and 1 that fails; a records 1 change failure an hour (cause
	// failed) and 1 rework, b 5 manual steps and 60 s of human wait; every
	// lead and recovery time falls in the (1800, 3600] bucket, 1 an hour
	// on each replica; a sees 1 out-of-band change an hour.
	l := func(instance, extra string) string {
		return `{team="pay", application="cart", environment="prod", instance="` + instance + `"` + extra + `}`
	}
	var in strings.Builder
	series := func(name, labels, values string) {
		fmt.Fprintf(&in, "      - series: '%s%s'\n        values: '%s'\n", name, labels, values)
	}
	series("gennaker_kpi_deploys_total", l("a", `, outcome="succeeded"`), "0+3x168")
	series("gennaker_kpi_deploys_total", l("b", `, outcome="succeeded"`), "0+1x168")
	series("gennaker_kpi_deploys_total", l("b", `, outcome="failed"`), "0+1x168")
	series("gennaker_kpi_change_failures_total", l("a", `, cause="failed"`), "0+1x168")
	series("gennaker_kpi_rework_deploys_total", l("a", ""), "0+1x168")
	series("gennaker_kpi_manual_steps_total", l("b", ""), "0+5x168")
	series("gennaker_kpi_human_wait_seconds_total", l("b", ""), "0+60x168")
	series("gennaker_kpi_out_of_band_changes_total", `{application="cart", environment="prod", instance="a"}`, "0+1x168")
	series("gennaker_kpi_folded_event_id", `{instance="a"}`, "100x168")
	series("gennaker_kpi_folded_event_id", `{instance="b"}`, "120x168")
	for _, h := range kpiHistograms {
		for _, inst := range []string{"a", "b"} {
			for _, le := range []string{"60", "300", "900", "1800", "3600", "10800", "21600", "43200", "86400", "259200", "604800", "1209600", "2592000", "+Inf"} {
				v := "0x168"
				if le != "60" && le != "300" && le != "900" && le != "1800" {
					v = "0+1x168"
				}
				series(h+"_bucket", l(inst, `, le="`+le+`"`), v)
			}
		}
	}
	type check struct {
		panel  string
		target int
		at     string
		want   map[string]string // labels -> value
	}
	checks := []check{
		// 96 deploys went live in the day, one application.
		{"Deployment frequency", 0, "1d", map[string]string{"{}": "96"}},
		// Half of 48 in (1800, 3600]: 2700.
		{"Lead time for changes, median", 0, "1d", map[string]string{"{}": "2700"}},
		// 24 failures of 72 + 24 + 24 attempts.
		{"Change failure rate", 0, "1d", map[string]string{"{}": "0.2"}},
		{"Failed deployment recovery time, median", 0, "1d", map[string]string{"{}": "2700"}},
		{"Change failure rate", 0, "7d", map[string]string{"{}": "0.2"}},
		{"Lead time for changes, p50 and p90", 1, "7d", map[string]string{"{}": "3420"}}, // 1800 + 1800 * 0.9
		{"Rework rate", 0, "7d", map[string]string{"{}": "0.2"}},
		{"Manual steps per deploy", 0, "7d", map[string]string{"{}": "1"}},
		{"Human wait per deploy", 0, "7d", map[string]string{"{}": "12"}},
		{"Out-of-band changes", 0, "7d", map[string]string{`{environment="prod"}`: "24"}},
		{"Deploys by application", 0, "1d", map[string]string{`{application="cart"}`: "96"}},
		{"Last event folded", 0, "1d", map[string]string{"{}": "120"}},
	}
	vars := strings.NewReplacer("$__range_s", "86400", "$__range", "1d", "$__rate_interval", "1h",
		"$team", ".*", "$application", ".*", "$environment", ".*")
	var tests strings.Builder
	for _, c := range checks {
		e := exprs[c.panel]
		if c.target >= len(e) {
			t.Fatalf("no query %d in panel %q", c.target, c.panel)
		}
		q, _ := json.Marshal(vars.Replace(e[c.target]))
		fmt.Fprintf(&tests, "      - expr: %s\n        eval_time: %s\n        exp_samples:\n", q, c.at)
		for labels, v := range c.want {
			fmt.Fprintf(&tests, "          - labels: '%s'\n            value: %s\n", labels, v)
		}
	}
	file := "rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1h\n    input_series:\n" + in.String() +
		"    promql_expr_test:\n" + tests.String()
	path := filepath.Join(t.TempDir(), "dashboard_test.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), promtool, "test", "rules", path).CombinedOutput()
	if err != nil {
		t.Errorf("promtool test rules: %v\n%s", err, out)
	}
}
