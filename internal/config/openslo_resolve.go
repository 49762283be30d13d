package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo/prom"
)

// Labels of an OpenSLO SLO that tie it to gennaker's objects.
const (
	// LabelApplication names the application an SLO gates (default: the
	// SLO's service).
	LabelApplication = "gennaker.dev/application"
	// LabelEnvironment names the environment an SLO measures (default:
	// every production environment).
	LabelEnvironment = "gennaker.dev/environment"
)

// Metric source types gennaker reads (compared without case).
const (
	// OpenSLOTypePrometheus queries a Prometheus server: spec.query is the
	// PromQL, the DataSource's connectionDetails.url (or spec.url) the server.
	OpenSLOTypePrometheus = "Prometheus"
	// OpenSLOTypeFrontDoor counts what the local target's front doors
	// answered: spec.metric is requests, errors, good or latencyUnder
	// (with spec.under, such as 300ms).
	OpenSLOTypeFrontDoor = "GennakerFrontDoor"
)

// sloResolver turns a load's OpenSLO documents into model.SLO objects,
// inlining references. Each referenced document's own problems are
// reported once, at that document, naming the first SLO that uses it.
type sloResolver struct {
	byKind        map[string]map[string]*Document
	envs          map[string]bool
	notifications map[string]bool
	errs          []Error
	slis          map[*Document]*sliResult
	policies      map[*Document]*policyResult
	conditions    map[*Document]*conditionResult
}

type sliResult struct {
	sli model.SLI
	ok  bool
}

type policyResult struct {
	alerts []model.BurnRateAlert
	ok     bool
}

type conditionResult struct {
	alert model.BurnRateAlert
	ok    bool
}

// resolveOpenSLO resolves every OpenSLO SLO of docs, in load order. The
// SLOs that could not be resolved come back as names (and applications) in
// failed, so what refers to them is not reported a second time.
func resolveOpenSLO(docs []Document, existing model.Config) (slos, failed []model.SLO, errs []Error) {
	r := &sloResolver{
		byKind: map[string]map[string]*Document{}, envs: map[string]bool{}, notifications: map[string]bool{},
		slis: map[*Document]*sliResult{}, policies: map[*Document]*policyResult{}, conditions: map[*Document]*conditionResult{},
	}
	for _, e := range existing.Environments {
		r.envs[e.Name] = true
	}
	for _, n := range existing.Notifications {
		r.notifications[n.Name] = true
	}
	for i := range docs {
		d := &docs[i]
		switch {
		case d.Environment != nil:
			r.envs[d.Name] = true
		case d.Notification != nil:
			r.notifications[d.Name] = true
		case d.OpenSLO != nil && d.Name != "":
			if r.byKind[d.Kind] == nil {
				r.byKind[d.Kind] = map[string]*Document{}
			}
			if _, dup := r.byKind[d.Kind][d.Name]; !dup { // checkDuplicates reports the second
				r.byKind[d.Kind][d.Name] = d
			}
		}
	}
	var out []model.SLO
	for i := range docs {
		d := &docs[i]
		if d.OpenSLO == nil || d.Kind != model.KindSLO {
			continue
		}
		if s, ok := r.slo(d); ok {
			out = append(out, s)
		} else if d.Name != "" {
			failed = append(failed, model.SLO{Name: s.Name, Application: s.Application})
		}
	}
	// Documents no SLO uses are still checked.
	for i := range docs {
		d := &docs[i]
		switch d.Kind {
		case model.KindSLI:
			if d.OpenSLO != nil {
				r.sliDoc(d, "")
			}
		case model.KindAlertPolicy:
			if d.OpenSLO != nil {
				r.policyDoc(d, "")
			}
		case model.KindAlertCondition:
			if d.OpenSLO != nil {
				r.conditionDoc(d)
			}
		}
	}
	return out, failed, r.errs
}

func (r *sloResolver) fail(d *Document, path, format string, args ...any) {
	r.errs = append(r.errs, d.errorf(path, format, args...))
}

// usedBy says which SLO led to a document, for messages ("" when none).
func usedBy(chain string) string {
	if chain == "" {
		return ""
	}
	return " (used by " + chain + ")"
}

// find returns the document of kind named name, reporting a missing one at
// d's path.
func (r *sloResolver) find(d *Document, path, kind, name, chain string) *Document {
	if f, ok := r.byKind[kind][name]; ok {
		return f
	}
	names := sortedKeys(r.byKind[kind])
	inline := "or write it inline"
	if kind == model.KindDataSource {
		inline = "or give the metric source a type and spec instead"
	}
	r.fail(d, path, "no %s is named %q%s: define it (apiVersion: %s, kind: %s) in the same set of files, %s%s",
		kind, name, usedBy(chain), model.OpenSLOAPIVersion, kind, inline, orList(name, "the "+kind+" objects", names))
	return nil
}

func (r *sloResolver) slo(d *Document) (model.SLO, bool) {
	spec := d.OpenSLO.Spec.(*osloSLO)
	meta := d.OpenSLO.Metadata
	out := model.SLO{
		Name: d.Name, DisplayName: meta.DisplayName, Description: spec.Description,
		Service: spec.Service, Application: spec.Service, Origin: "openslo",
		Budgeting: model.BudgetingMethod(spec.BudgetingMethod),
	}
	for _, k := range sortedKeys(meta.Labels) {
		if v, ok := labelValue(meta.Labels[k]); ok {
			if out.Labels == nil {
				out.Labels = map[string]string{}
			}
			out.Labels[k] = v
		}
	}
	if app := out.Labels[LabelApplication]; app != "" {
		out.Application = app
	}
	ok := true
	if env := out.Labels[LabelEnvironment]; env != "" {
		out.Environment = env
		if !r.envs[env] {
			r.fail(d, fieldPath("metadata.labels", LabelEnvironment), "no environment is named %q: label the SLO with an existing environment, or remove the label to measure every production environment%s",
				env, orList(env, "the environments", sortedKeys(r.envs)))
			ok = false
		}
	}
	chain := d.Object()
	switch {
	case spec.Indicator != nil:
		res := r.sli(d, "spec.indicator.spec", &spec.Indicator.Spec, "")
		out.Indicator, ok = res.sli, ok && res.ok
		out.Indicator.Name = spec.Indicator.Metadata.Name
	case spec.IndicatorRef != "":
		sd := r.find(d, "spec.indicatorRef", model.KindSLI, spec.IndicatorRef, "")
		if sd == nil {
			return out, false
		}
		res := r.sliDoc(sd, chain)
		out.Indicator, ok = res.sli, ok && res.ok
		out.Indicator.Name = sd.Name
	default:
		return out, false // validateOpenSLO reported it
	}
	if len(spec.TimeWindow) != 1 {
		return out, false
	}
	w, wok := openSLOWindow(spec.TimeWindow[0])
	out.Window, ok = w, ok && wok
	threshold := out.Indicator.Threshold != nil
	for i, o := range spec.Objectives {
		obj, oOK := openSLOObjective(o)
		ok = ok && oOK
		if threshold && (o.Op == "" || o.Value == nil) {
			r.fail(d, indexPath("spec.objectives", i), "the indicator is a threshold metric: each objective compares it with op (lt, lte, gt or gte) and value, such as op: lt, value: 0.3")
			ok = false
		}
		out.Objectives = append(out.Objectives, obj)
	}
	alerts, aok := r.sloAlerts(d, spec, chain)
	out.Alerts, ok = alerts, ok && aok
	if len(spec.AlertPolicies) == 0 {
		out.Alerts = model.DefaultBurnRateAlerts()
	}
	return out, ok
}

// openSLOWindow maps a checked time window; ok is false when it is wrong
// (validateOpenSLO said why).
func openSLOWindow(w osloTimeWindow) (model.SLOWindow, bool) {
	count, unit, _, msg := parseShorthand(w.Duration, false)
	if msg != "" {
		return model.SLOWindow{}, false
	}
	out := model.SLOWindow{Count: count, Unit: unit, Rolling: w.Calendar == nil && (w.IsRolling == nil || *w.IsRolling)}
	if c := w.Calendar; c != nil {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil || c.TimeZone == "Local" {
			return out, false
		}
		start, err := time.ParseInLocation(calendarLayout, c.StartTime, loc)
		if err != nil {
			return out, false
		}
		out.Start, out.TimeZone = start, c.TimeZone
	}
	return out, true
}

func openSLOObjective(o osloObjective) (model.Objective, bool) {
	out := model.Objective{Name: o.DisplayName, Op: o.Op}
	if o.Value != nil {
		out.Value = *o.Value
	}
	switch {
	case o.Target != nil:
		out.Target = *o.Target
	case o.TargetPercent != nil:
		out.Target = *o.TargetPercent / 100
	}
	if o.TimeSliceTarget != nil {
		out.TimeSliceTarget = *o.TimeSliceTarget
	}
	ok := out.Target > 0 && out.Target < 1
	if o.TimeSliceWindow != "" {
		_, _, dur, msg := parseShorthand(o.TimeSliceWindow, true)
		out.TimeSliceWindow = model.Duration(dur)
		ok = ok && msg == ""
	}
	return out, ok
}

// sliDoc resolves an SLI document once.
func (r *sloResolver) sliDoc(d *Document, chain string) *sliResult {
	return r.sli(d, "spec", d.OpenSLO.Spec.(*osloSLI), chain)
}

func (r *sloResolver) sli(d *Document, path string, s *osloSLI, chain string) *sliResult {
	if path == "spec" {
		if res, done := r.slis[d]; done {
			return res
		}
	}
	res := &sliResult{ok: true}
	src := func(p string, m *osloMetricSpec) *model.MetricQuery {
		if m == nil {
			return nil
		}
		q, ok := r.source(d, p+".metricSource", m.MetricSource, chain)
		res.ok = res.ok && ok
		return q
	}
	switch {
	case s.ThresholdMetric != nil && s.RatioMetric == nil:
		res.sli.Threshold = src(path+".thresholdMetric", s.ThresholdMetric)
	case s.RatioMetric != nil && s.ThresholdMetric == nil:
		rm := s.RatioMetric
		if rm.Raw != nil {
			r.fail(d, path+".ratioMetric.raw", "not supported: a precomputed ratio (raw)%s: gennaker counts events itself; write good (or bad) and total", usedBy(chain))
			res.ok = false
			break
		}
		res.sli.Good = src(path+".ratioMetric.good", rm.Good)
		res.sli.Bad = src(path+".ratioMetric.bad", rm.Bad)
		res.sli.Total = src(path+".ratioMetric.total", rm.Total)
		res.ok = res.ok && rm.Total != nil && (rm.Good == nil) != (rm.Bad == nil)
	default:
		res.ok = false // the decoder reported it
	}
	if path == "spec" {
		r.slis[d] = res
	}
	return res
}

// source maps one metric source, reporting what gennaker cannot read.
func (r *sloResolver) source(d *Document, path string, m osloMetricSource, chain string) (*model.MetricQuery, bool) {
	typ, typPath := m.Type, path+".type"
	var ds *osloDataSource
	if m.MetricSourceRef != "" {
		dd := r.find(d, path+".metricSourceRef", model.KindDataSource, m.MetricSourceRef, chain)
		if dd == nil {
			return nil, false
		}
		ds = dd.OpenSLO.Spec.(*osloDataSource)
		switch {
		case typ == "":
			typ, typPath = ds.Type, path+".metricSourceRef"
		case ds.Type != "" && !strings.EqualFold(ds.Type, typ):
			r.fail(d, typPath, "type %s differs from the type of %s (%s): remove type here, or name a DataSource of type %s", typ, dd.Object(), ds.Type, typ)
			return nil, false
		}
	}
	if typ == "" {
		return nil, false // validateOpenSLO reported it
	}
	get := func(key string) (string, bool) {
		v, ok := m.Spec[key]
		if !ok {
			return "", false
		}
		s, isStr := v.(string)
		if !isStr {
			r.fail(d, fieldPath(path+".spec", key), "expected a string, found %v: quote it", v)
		}
		return s, isStr
	}
	switch {
	case strings.EqualFold(typ, OpenSLOTypePrometheus):
		q := &model.MetricQuery{Source: model.SLOSourcePrometheus}
		q.Query, _ = get("query")
		if q.Query == "" {
			r.fail(d, path+".spec", "a Prometheus metric needs spec.query, the PromQL selector of a counter, such as http_requests_total{job=\"checkout\"}%s", usedBy(chain))
			return nil, false
		}
		urlPath := fieldPath(path+".spec", "url")
		q.URL, _ = get("url")
		if q.URL == "" && ds != nil {
			if u, isStr := ds.ConnectionDetails["url"].(string); isStr {
				q.URL, urlPath = u, path+".metricSourceRef"
			}
		}
		if q.URL == "" {
			r.fail(d, path, "a Prometheus metric needs the server's URL: write connectionDetails.url in its DataSource (metricSourceRef), or spec.url here, such as http://127.0.0.1:9090%s", usedBy(chain))
			return nil, false
		}
		if msg := promURLProblem(q.URL); msg != "" {
			r.fail(d, urlPath, "%s", msg)
			return nil, false
		}
		if strings.Contains(path, "ratioMetric") {
			if _, err := prom.ParseSelector(q.Query); err != nil {
				r.fail(d, path+".spec", "query %q: %v: a ratio's good, bad and total are counter selectors, such as http_requests_total{job=\"checkout\",code!~\"5..\"}; gennaker takes their increase over each window%s", q.Query, err, usedBy(chain))
				return nil, false
			}
		}
		return q, true
	case strings.EqualFold(typ, OpenSLOTypeFrontDoor):
		q := &model.MetricQuery{Source: model.SLOSourceFrontDoor}
		q.Metric, _ = get("metric")
		metrics := []string{model.FrontDoorRequests, model.FrontDoorErrors, model.FrontDoorGood, model.FrontDoorLatencyUnder}
		if !slices.Contains(metrics, q.Metric) {
			r.fail(d, fieldPath(path+".spec", "metric"), "%q is not a front door metric: use %s", q.Metric, joinOr(metrics))
			return nil, false
		}
		under, hasUnder := get("under")
		if q.Metric == model.FrontDoorLatencyUnder || hasUnder {
			dur, err := model.ParseDuration(under)
			if q.Metric != model.FrontDoorLatencyUnder {
				r.fail(d, fieldPath(path+".spec", "under"), "only metric latencyUnder takes under: remove it")
				return nil, false
			}
			if err != nil || dur <= 0 {
				r.fail(d, fieldPath(path+".spec", "under"), "latencyUnder needs under, the latency bound, such as 300ms")
				return nil, false
			}
			q.Under = dur
		}
		return q, true
	}
	r.fail(d, typPath, "not supported: metric source type %s%s: gennaker reads %s and its front door (type %s)", typ, usedBy(chain), OpenSLOTypePrometheus, OpenSLOTypeFrontDoor)
	return nil, false
}

// sloAlerts maps an SLO's alert policies to burn-rate alerts.
func (r *sloResolver) sloAlerts(d *Document, spec *osloSLO, chain string) ([]model.BurnRateAlert, bool) {
	var out []model.BurnRateAlert
	ok := true
	for i, item := range spec.AlertPolicies {
		path := indexPath("spec.alertPolicies", i)
		var res *policyResult
		switch {
		case item.Spec != nil:
			name := ""
			if item.Metadata != nil {
				name = item.Metadata.Name
			}
			res = r.policy(d, path+".spec", name, item.Spec, "")
		case item.AlertPolicyRef != "":
			pd := r.find(d, path+".alertPolicyRef", model.KindAlertPolicy, item.AlertPolicyRef, "")
			if pd == nil {
				ok = false
				continue
			}
			res = r.policyDoc(pd, chain)
		default:
			ok = false
			continue
		}
		out = append(out, res.alerts...)
		ok = ok && res.ok
	}
	// Alert names are unique within an SLO.
	seen := map[string]int{}
	for i := range out {
		seen[out[i].Name]++
		if n := seen[out[i].Name]; n > 1 {
			out[i].Name = fmt.Sprintf("%s-%d", out[i].Name, n)
		}
	}
	return out, ok
}

func (r *sloResolver) policyDoc(d *Document, chain string) *policyResult {
	if res, done := r.policies[d]; done {
		return res
	}
	res := r.policy(d, "spec", d.Name, d.OpenSLO.Spec.(*osloAlertPolicy), chain)
	r.policies[d] = res
	return res
}

// policy maps an alert policy's conditions, each told to its targets.
func (r *sloResolver) policy(d *Document, path, name string, p *osloAlertPolicy, chain string) *policyResult {
	res := &policyResult{ok: true}
	var notify []string
	for i, t := range p.NotificationTargets {
		tp := indexPath(path+".notificationTargets", i)
		target, namePath := "", ""
		switch {
		case t.Spec != nil && t.Metadata != nil:
			target, namePath = t.Metadata.Name, tp+".metadata.name"
		case t.TargetRef != "":
			if r.find(d, tp+".targetRef", model.KindAlertNotificationTarget, t.TargetRef, chain) == nil {
				res.ok = false
				continue
			}
			target, namePath = t.TargetRef, tp+".targetRef"
		default:
			res.ok = false
			continue
		}
		if !r.notifications[target] {
			r.fail(d, namePath, "no gennaker Notification is named %q%s: gennaker tells an alert's notification targets through the Notification of the same name (kind: Notification, on: [slo_alert]); define one%s",
				target, usedBy(chain), orList(target, "the Notifications", sortedKeys(r.notifications)))
			res.ok = false
			continue
		}
		if !slices.Contains(notify, target) {
			notify = append(notify, target)
		}
	}
	for i, c := range p.Conditions {
		cp := indexPath(path+".conditions", i)
		var cr *conditionResult
		switch {
		case c.Spec != nil:
			cname := ""
			if c.Metadata != nil {
				cname = c.Metadata.Name
			}
			cr = conditionAlert(cname, c.Spec)
		case c.ConditionRef != "":
			cd := r.find(d, cp+".conditionRef", model.KindAlertCondition, c.ConditionRef, chain)
			if cd == nil {
				res.ok = false
				continue
			}
			cr = r.conditionDoc(cd)
		default:
			res.ok = false
			continue
		}
		a := cr.alert
		if a.Name == "" {
			a.Name = fmt.Sprintf("%s-%d", cmp.Or(name, "alert"), i+1)
		}
		a.Notify = notify
		res.alerts = append(res.alerts, a)
		res.ok = res.ok && cr.ok
	}
	return res
}

func (r *sloResolver) conditionDoc(d *Document) *conditionResult {
	if res, done := r.conditions[d]; done {
		return res
	}
	res := conditionAlert(d.Name, d.OpenSLO.Spec.(*osloAlertCondition))
	r.conditions[d] = res
	return res
}

// conditionAlert maps a burn-rate condition: the long window is the
// lookback window, the short one a twelfth of it (SRE workbook, ch. 5),
// For is alertAfter. Problems were reported by validateOpenSLO.
func conditionAlert(name string, c *osloAlertCondition) *conditionResult {
	_, _, long, msg := parseShorthand(c.Condition.LookbackWindow, true)
	res := &conditionResult{ok: msg == "" && c.Condition.Threshold > 0 && c.Condition.Op != "lt" && c.Condition.Op != "lte"}
	var after time.Duration
	if c.Condition.AlertAfter != "" {
		var amsg string
		_, _, after, amsg = parseShorthand(c.Condition.AlertAfter, true)
		res.ok = res.ok && amsg == ""
	}
	res.alert = model.BurnRateAlert{
		Name: name, Severity: c.Severity, Factor: c.Condition.Threshold,
		Long: model.Duration(long), Short: model.Duration(long / 12), For: model.Duration(after),
	}
	return res
}
