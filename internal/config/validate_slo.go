package config

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/slo/prom"
)

// validateAppSLO checks an Application's `slo:` shorthand.
func validateAppSLO(doc *Document, s *model.AppSLO) []Error {
	if s == nil {
		return nil
	}
	var errs []Error
	if doc.pos.has("spec.slo.availability") && (s.Availability <= 0 || s.Availability >= 100) {
		errs = append(errs, doc.errorf("spec.slo.availability", "%v is not an availability: use a percent above 0 and below 100, such as 99.9", s.Availability))
	}
	if l := s.Latency; l != nil {
		if l.P <= 0 || l.P >= 1 {
			errs = append(errs, doc.errorf("spec.slo.latency.p", "%v is not a fraction of requests: use a number above 0 and below 1, such as 0.99", l.P))
		}
		if l.Under <= 0 {
			errs = append(errs, doc.errorf("spec.slo.latency.under", "the latency bound must be above 0, such as 300ms"))
		}
	}
	if doc.pos.has("spec.slo.windowDays") && (s.WindowDays < 1 || s.WindowDays > 366) {
		errs = append(errs, doc.errorf("spec.slo.windowDays", "%d days: use 1 to 366 (or omit it for %d)", s.WindowDays, model.DefaultSLOWindowDays))
	}
	if s.Availability == 0 && s.Latency == nil {
		errs = append(errs, doc.errorf("spec.slo", "the slo shorthand needs availability (a percent, such as 99.9) or latency ({p: 0.99, under: 300ms}), or remove it"))
	}
	return errs
}

// validateSLOPolicy checks an Environment's error-budget deploy policy.
func validateSLOPolicy(doc *Document, p *model.SLOPolicy) []Error {
	if p == nil {
		return nil
	}
	const path = "spec.sloPolicy"
	var errs []Error
	if p.MinBudget < 0 || p.MinBudget >= 1 {
		errs = append(errs, doc.errorf(path+".minBudget", "%v is not a budget fraction: use 0 (off) up to below 1, such as 0.1 to hold deploys with less than 10%% of the budget left", p.MinBudget))
	}
	if p.MaxBurnRate < 0 {
		errs = append(errs, doc.errorf(path+".maxBurnRate", "%v: a burn rate is 0 (off) or more, such as 2", p.MaxBurnRate))
	}
	if p.BurnWindow < 0 {
		errs = append(errs, doc.errorf(path+".burnWindow", "the burn window must be above 0, such as 1h"))
	}
	if n := p.Narrow; n != nil {
		if n.BelowBudget <= 0 || n.BelowBudget > 1 {
			errs = append(errs, doc.errorf(path+".narrow.belowBudget", "%v is not a budget fraction: use a number above 0 and at most 1, such as 0.25", n.BelowBudget))
		}
		if doc.pos.has(path+".narrow.maxFirstWeight") && (n.MaxFirstWeight < 1 || n.MaxFirstWeight > 100) {
			errs = append(errs, doc.errorf(path+".narrow.maxFirstWeight", "%d: a weight is a percent from 1 to 100, such as 5", n.MaxFirstWeight))
		}
		if doc.pos.has(path+".narrow.analysisFactor") && n.AnalysisFactor < 1 {
			errs = append(errs, doc.errorf(path+".narrow.analysisFactor", "%v: the factor lengthens analysis intervals, so it is at least 1, such as 2", n.AnalysisFactor))
		}
	}
	for i, f := range p.Freeze {
		fp := indexPath(path+".freeze", i)
		for _, end := range []struct{ name, value string }{{"from", f.From}, {"to", f.To}} {
			if _, err := model.ParseWeekTime(end.value); err != nil {
				errs = append(errs, doc.errorf(fp+"."+end.name, "%v", err))
			}
		}
		if from, err1 := model.ParseWeekTime(f.From); err1 == nil {
			if to, err2 := model.ParseWeekTime(f.To); err2 == nil && from == to {
				errs = append(errs, doc.errorf(fp+".to", "the window is empty (from and to are both %s): end it later", from))
			}
		}
		if f.TimeZone != "" {
			if msg := checkTimeZone(f.TimeZone); msg != "" {
				errs = append(errs, doc.errorf(fp+".timeZone", "%s", msg))
			}
		}
	}
	return errs
}

// validateSLOGate checks an sloGate stage on its own.
func validateSLOGate(doc *Document, path string, g *model.SLOGateStage) []Error {
	var errs []Error
	if g.MinBudget < 0 || g.MinBudget >= 1 {
		errs = append(errs, doc.errorf(path+".minBudget", "%v is not a budget fraction: use a number from 0 up to below 1, such as 0.1 (or omit it for the environment's sloPolicy)", g.MinBudget))
	}
	if g.MaxBurnRate < 0 {
		errs = append(errs, doc.errorf(path+".maxBurnRate", "%v: a burn rate is 0 or more, such as 2 (or omit it for the environment's sloPolicy)", g.MaxBurnRate))
	}
	first := map[string]int{}
	for i, name := range g.SLOs {
		errs = append(errs, listedTwice(doc, first, path+".slos", i, name, fmt.Sprintf("SLO %q", name))...)
	}
	return errs
}

// sloLocator places a problem of a resolved SLO: in its OpenSLO document
// when it was loaded from one, else in "SLO/<name>" (the API).
type sloLocator func(name, field, msg string) Error

func docLocator(docs []Document) sloLocator {
	at := map[string]*Document{}
	for i := range docs {
		if d := &docs[i]; d.OpenSLO != nil && d.Kind == model.KindSLO {
			at[d.Name] = d
		}
	}
	return func(name, field, msg string) Error {
		if d, ok := at[name]; ok {
			return d.errorf("metadata.name", "%s", msg)
		}
		return sloError(name, field, msg)
	}
}

func sloError(name, field, msg string) Error {
	return Error{File: model.KindSLO + "/" + name, Object: objectName(model.KindSLO, name), Field: field, Message: msg}
}

// checkSLOUse checks what refers to SLOs or shares their names: the
// applications' shorthand SLOs must not take an OpenSLO SLO's name, and an
// sloGate's environment and SLOs must exist, its application have one.
func checkSLOUse(docs []Document, slos []model.SLO, existing model.Config, at sloLocator) []Error {
	var errs []Error
	c := newCatalog(docs, existing)
	// The SLOs in force: the new ones, and the stored ones they do not replace.
	all := slices.Clone(slos)
	for _, s := range existing.SLOs {
		if !slices.ContainsFunc(slos, func(n model.SLO) bool { return n.Name == s.Name }) {
			all = append(all, s)
		}
	}
	apps := make([]model.Application, 0, len(c.apps))
	for _, name := range sortedKeys(c.apps) {
		apps = append(apps, *c.apps[name])
	}
	appDocs := map[string]*Document{}
	for i := range docs {
		if docs[i].Application != nil {
			appDocs[docs[i].Name] = &docs[i]
		}
	}
	for _, a := range apps {
		for _, short := range a.DefaultSLOs() {
			i := slices.IndexFunc(all, func(s model.SLO) bool { return s.Name == short.Name })
			if i < 0 {
				continue
			}
			msg := fmt.Sprintf("the name %q is taken by the shorthand SLO of application %q (spec.slo): rename the SLO, or drop that objective from the application's slo", short.Name, a.Name)
			switch {
			case slices.ContainsFunc(slos, func(s model.SLO) bool { return s.Name == short.Name }):
				errs = append(errs, at(short.Name, "metadata.name", msg))
			case appDocs[a.Name] != nil:
				errs = append(errs, appDocs[a.Name].errorf("spec.slo", "application %q's shorthand SLO %q has the name of a stored SLO: delete that SLO or rename it", a.Name, short.Name))
			}
		}
	}
	for _, s := range slos {
		if s.Environment != "" && c.envs[s.Environment] == nil {
			errs = append(errs, at(s.Name, "environment", fmt.Sprintf("no environment is named %q: name an existing environment, or none to measure every production environment%s",
				s.Environment, orList(s.Environment, "the environments", sortedKeys(c.envs)))))
		}
	}
	known := model.ConfigSLOs(apps, all)
	for i := range docs {
		if d := &docs[i]; d.Pipeline != nil {
			errs = append(errs, checkSLOGateRefs(d, c, known)...)
		}
	}
	return errs
}

func checkSLOGateRefs(d *Document, c catalog, known []model.SLO) []Error {
	var errs []Error
	p := d.Pipeline
	// A gate reads the SLOs of its pipeline's application only: another
	// application's budget (and its status's errors) would show in this
	// pipeline's output to people who may not read that application.
	var names []string
	for _, s := range known {
		if s.Application == p.Application {
			names = append(names, s.Name)
		}
	}
	for i, s := range p.Stages {
		g := s.SLOGate
		if g == nil {
			continue
		}
		path := indexPath("spec.stages", i) + ".sloGate"
		if g.Environment != "" && c.envs[g.Environment] == nil {
			errs = append(errs, d.errorf(path+".environment", "no environment is named %q: define it or apply it first%s",
				g.Environment, orList(g.Environment, "the environments", sortedKeys(c.envs))))
		}
		for j, name := range g.SLOs {
			if !slices.Contains(names, name) {
				errs = append(errs, d.errorf(indexPath(path+".slos", j), "application %q has no SLO named %q: a gate reads its pipeline's application's SLOs, OpenSLO ones (apiVersion: openslo/v1, kind: SLO) or the slo shorthand's (<app>-availability, <app>-latency)%s",
					p.Application, name, orList(name, "its SLOs", names)))
			}
		}
		if p.Application != "" && c.apps[p.Application] != nil &&
			!slices.ContainsFunc(known, func(s model.SLO) bool { return s.Application == p.Application }) {
			errs = append(errs, d.errorf(path, "application %q has no SLO for the gate to read: add slo: {availability: 99.9} to the application, or an OpenSLO SLO whose service (or label %s) is %q",
				p.Application, LabelApplication, p.Application))
		}
	}
	return errs
}

// ValidateSLO checks a resolved SLO on its own, as it arrives through the
// API (the loader resolves OpenSLO documents into this form). Problems name
// `SLO "x"` and the JSON field, such as objectives[0].target.
func ValidateSLO(s model.SLO) []Error {
	var errs []Error
	fail := func(field, format string, args ...any) {
		errs = append(errs, sloError(s.Name, field, fmt.Sprintf(format, args...)))
	}
	if msg := checkName(s.Name); msg != "" {
		fail("name", "%s", msg)
	}
	if s.Application == "" {
		fail("application", "an SLO names the application it gates, such as checkout")
	}
	in := s.Indicator
	ratio := in.Good != nil || in.Bad != nil || in.Total != nil
	switch {
	case ratio && in.Threshold != nil:
		fail("indicator", "an indicator is a ratio (good or bad over total) or a threshold metric, not both")
	case in.Threshold == nil && !ratio:
		fail("indicator", "an indicator needs total with good or bad, or threshold")
	case ratio && in.Total == nil:
		fail("indicator.total", "a ratio indicator needs total, the events counted")
	case ratio && (in.Good == nil) == (in.Bad == nil):
		fail("indicator", "a ratio indicator counts good or bad events over total: write one of them")
	}
	for _, q := range []struct {
		field string
		q     *model.MetricQuery
	}{{"indicator.good", in.Good}, {"indicator.bad", in.Bad}, {"indicator.total", in.Total}, {"indicator.threshold", in.Threshold}} {
		if q.q != nil {
			if field, msg := checkMetricQuery(*q.q); msg != "" {
				fail(q.field+field, "%s", msg)
			} else if q.q.Source == model.SLOSourcePrometheus && q.field != "indicator.threshold" {
				if _, err := prom.ParseSelector(q.q.Query); err != nil {
					fail(q.field+".query", "%q: %v: a ratio's good, bad and total are counter selectors, such as http_requests_total{code!~\"5..\"}", q.q.Query, err)
				}
			}
		}
	}
	w := s.Window
	if w.Count <= 0 || !slices.Contains([]string{"m", "h", "d", "w", "M", "Q", "Y"}, w.Unit) {
		fail("window", "a window is a count above 0 and a unit of m, h, d, w, M, Q or Y, such as {count: 28, unit: d, rolling: true}")
	} else if windowDays(w) > maxSLOWindowDays {
		fail("window", "%d%s is longer than %d days: SLO windows are at most 5 years", w.Count, w.Unit, maxSLOWindowDays)
	}
	if w.TimeZone != "" {
		if msg := checkTimeZone(w.TimeZone); msg != "" {
			fail("window.timeZone", "%s", msg)
		}
	}
	methods := []model.BudgetingMethod{model.BudgetOccurrences, model.BudgetTimeslices, model.BudgetRatioTimeslices}
	if !slices.Contains(methods, s.Budgeting) {
		fail("budgetingMethod", "%q is not allowed: use Occurrences, Timeslices or RatioTimeslices", s.Budgeting)
	}
	if len(s.Objectives) == 0 {
		fail("objectives", "an SLO needs at least one objective, such as [{target: 0.999}]")
	}
	errs = append(errs, checkMeasurable(s)...)
	for i, o := range s.Objectives {
		p := indexPath("objectives", i)
		if o.Target <= 0 || o.Target >= 1 {
			fail(p+".target", "%v is not a target: use a fraction above 0 and below 1, such as 0.999", o.Target)
		}
		if o.Op != "" && !slices.Contains([]string{"lt", "lte", "gt", "gte"}, o.Op) {
			fail(p+".op", "%q is not allowed: use lt, lte, gt or gte", o.Op)
		}
		if in.Threshold != nil && o.Op == "" {
			fail(p+".op", "the indicator is a threshold metric: write op (lt, lte, gt or gte) and value")
		}
		if s.Budgeting == model.BudgetTimeslices && (o.TimeSliceTarget <= 0 || o.TimeSliceTarget > 1) {
			fail(p+".timeSliceTarget", "budgetingMethod Timeslices needs timeSliceTarget above 0 and at most 1, such as 0.95")
		}
		if (s.Budgeting == model.BudgetTimeslices || s.Budgeting == model.BudgetRatioTimeslices) && o.TimeSliceWindow <= 0 {
			fail(p+".timeSliceWindow", "budgetingMethod %s needs timeSliceWindow above 0, such as 1m", s.Budgeting)
		}
	}
	seen := map[string]int{}
	for i, a := range s.Alerts {
		p := indexPath("alerts", i)
		if j, dup := seen[a.Name]; dup {
			fail(p+".name", "alert %q is listed twice (first at alerts[%d]): rename one", a.Name, j)
		}
		seen[a.Name] = i
		switch {
		case a.Name == "":
			fail(p+".name", "an alert needs a name, such as page-1h")
		case a.Factor <= 0:
			fail(p+".factor", "%v is not a burn rate: use a number above 0, such as 14.4", a.Factor)
		case a.Long <= 0 || a.Short <= 0 || a.Short > a.Long:
			fail(p, "an alert's windows are above 0 and short is at most long, such as long: 1h, short: 5m")
		case a.For < 0:
			fail(p+".for", "for must be 0 or more")
		}
	}
	return errs
}

// checkMeasurable refuses, at load, what the indicator's source cannot
// count (the sources' own checks, slo/frontdoor and slo/prom, would
// otherwise report it only at the first evaluation): one source for the
// whole indicator; a threshold metric only from Prometheus and counted in
// time slices; from the front door, Occurrences or one-minute Timeslices.
func checkMeasurable(s model.SLO) []Error {
	var errs []Error
	fail := func(field, format string, args ...any) {
		errs = append(errs, sloError(s.Name, field, fmt.Sprintf(format, args...)))
	}
	in := s.Indicator
	source, err := in.Source()
	if err != nil {
		fail("indicator", "%v", err)
		return errs
	}
	if in.Threshold != nil {
		if in.Threshold.Source != model.SLOSourcePrometheus {
			fail("indicator.threshold", "a threshold metric is read from Prometheus; the front door measures ratios (good or bad over total)")
		}
		if s.Budgeting != model.BudgetTimeslices {
			fail("budgetingMethod", "a threshold metric is counted in time slices: write Timeslices (it is %s)", s.Budgeting)
		}
	}
	if source == model.SLOSourceFrontDoor {
		switch s.Budgeting {
		case model.BudgetRatioTimeslices:
			fail("budgetingMethod", "the front door counts Occurrences or Timeslices, not RatioTimeslices: use one of them, or a Prometheus indicator")
		case model.BudgetTimeslices:
			for i, o := range s.Objectives {
				if w := o.TimeSliceWindow.D(); w != 0 && w != time.Minute {
					fail(indexPath("objectives", i)+".timeSliceWindow", "%s: the front door keeps one-minute slices: write 1m", w)
				}
			}
		}
	}
	return errs
}

// checkMetricQuery returns the field under the query and what is wrong
// with it, or "".
func checkMetricQuery(q model.MetricQuery) (string, string) {
	switch q.Source {
	case model.SLOSourcePrometheus:
		if strings.TrimSpace(q.Query) == "" {
			return ".query", "a Prometheus metric needs query, the PromQL selector of a counter"
		}
		if msg := promURLProblem(q.URL); msg != "" {
			return ".url", msg
		}
	case model.SLOSourceFrontDoor:
		metrics := []string{model.FrontDoorRequests, model.FrontDoorErrors, model.FrontDoorGood, model.FrontDoorLatencyUnder}
		if !slices.Contains(metrics, q.Metric) {
			return ".metric", fmt.Sprintf("%q is not a front door metric: use %s", q.Metric, joinOr(metrics))
		}
		if q.Metric == model.FrontDoorLatencyUnder && q.Under <= 0 {
			return ".under", "latencyUnder needs under, the latency bound, such as 300ms"
		}
	default:
		return ".source", fmt.Sprintf("not supported: metric source %q: use %s or %s", q.Source, model.SLOSourcePrometheus, model.SLOSourceFrontDoor)
	}
	return "", ""
}

// maxSLOWindowDays bounds an SLO's window: 5 years.
const maxSLOWindowDays = 5 * 366

// windowDays is a window's length in days, at most (a month is 31).
func windowDays(w model.SLOWindow) int {
	per := map[string]float64{"m": 1.0 / 1440, "h": 1.0 / 24, "d": 1, "w": 7, "M": 31, "Q": 92, "Y": 366}[w.Unit]
	return int(math.Ceil(float64(w.Count) * per))
}

// promURLProblem says what is wrong with a Prometheus server's URL ("" when
// nothing is): not http(s)://host, or a credential in it (the URL is shown
// to everyone who may read the SLO; use a Prometheus behind a proxy that
// adds the credential, or none).
func promURLProblem(raw string) string {
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not a Prometheus URL: write http(s)://host:port, such as http://127.0.0.1:9090", raw)
	}
	if why := secret.CredentialInURL(raw); why != "" {
		return fmt.Sprintf("the Prometheus URL %s, and SLOs are shown to everyone who may read their application: remove the credential (put an authenticating proxy in front of Prometheus if it needs one)", why)
	}
	return ""
}
