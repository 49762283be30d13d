package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// OpenSLOAPIVersion is the apiVersion of OpenSLO v1 documents, read natively
// beside gennaker's own kinds (docs/slos.md).
const OpenSLOAPIVersion = "openslo/v1"

// OpenSLO kinds. A config set's OpenSLO documents are resolved at load into
// SLO objects (references inlined), which is all the rest of gennaker sees.
const (
	KindOpenSLOService          = "Service"
	KindSLI                     = "SLI"
	KindSLO                     = "SLO"
	KindAlertPolicy             = "AlertPolicy"
	KindAlertCondition          = "AlertCondition"
	KindAlertNotificationTarget = "AlertNotificationTarget"
	KindDataSource              = "DataSource"
	// KindSLOStored is the config-table kind resolved SLOs are kept under.
	KindSLOStored = KindSLO
)

// BudgetingMethod says how an SLO counts good and bad.
type BudgetingMethod string

const (
	// BudgetOccurrences counts good events over all events in the window.
	BudgetOccurrences BudgetingMethod = "Occurrences"
	// BudgetTimeslices counts good time slices (a slice is good when its
	// SLI meets the objective's timeSliceTarget) over all slices.
	BudgetTimeslices BudgetingMethod = "Timeslices"
	// BudgetRatioTimeslices averages the slices' good ratios.
	BudgetRatioTimeslices BudgetingMethod = "RatioTimeslices"
)

// SLO is one service level objective as gennaker keeps it: from an OpenSLO
// SLO document with its SLI, alert policies and data source resolved, or
// from an Application's `slo:` shorthand (Application.DefaultSLOs).
type SLO struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	Description string `json:"description,omitempty"`
	// Service is the OpenSLO Service; Application the gennaker application
	// whose deploys the SLO gates and marks (the Service's name, or the
	// label gennaker.dev/application).
	Service     string `json:"service,omitempty"`
	Application string `json:"application"`
	// Environment is the environment measured and gated (label
	// gennaker.dev/environment); "" means every production environment.
	Environment string          `json:"environment,omitempty"`
	Indicator   SLI             `json:"indicator"`
	Window      SLOWindow       `json:"window"`
	Budgeting   BudgetingMethod `json:"budgetingMethod"`
	Objectives  []Objective     `json:"objectives"`
	// Alerts are the multi-window burn-rate alerts; the SRE workbook's four
	// pairs when the SLO names no alert policy (DefaultBurnRateAlerts).
	Alerts []BurnRateAlert `json:"alerts,omitempty"`
	// Origin says where it was written: "openslo" or "application".
	Origin string `json:"origin,omitempty"`
	// Labels are the OpenSLO metadata labels.
	Labels map[string]string `json:"labels,omitempty"`
}

// SLOWindow is an SLO's time window: rolling (the last Count Units) or
// calendar-aligned (periods of Count Units from Start in TimeZone).
type SLOWindow struct {
	// Count and Unit are the length as OpenSLO writes it: 28 "d", 1 "M".
	// Units: m, h, d, w, M (month), Q (quarter), Y (year).
	Count   int    `json:"count"`
	Unit    string `json:"unit"`
	Rolling bool   `json:"rolling"`
	// Start anchors calendar windows; TimeZone is an IANA zone (default UTC).
	Start    time.Time `json:"start,omitzero"`
	TimeZone string    `json:"timeZone,omitempty"`
}

// SLI is what is measured: a ratio of good (or bad) over total events, or
// a threshold metric compared by each objective's Op and Value.
type SLI struct {
	Name string `json:"name,omitempty"`
	// Ratio SLIs: Total and one of Good or Bad.
	Good  *MetricQuery `json:"good,omitempty"`
	Bad   *MetricQuery `json:"bad,omitempty"`
	Total *MetricQuery `json:"total,omitempty"`
	// Threshold SLIs: one metric.
	Threshold *MetricQuery `json:"threshold,omitempty"`
}

// Source is the one metric source the SLI's queries read ("" when it
// names none); an error says which two it mixes.
func (i SLI) Source() (string, error) {
	name := ""
	for _, q := range []*MetricQuery{i.Good, i.Bad, i.Total, i.Threshold} {
		if q == nil || q.Source == "" {
			continue
		}
		if name != "" && q.Source != name {
			return "", fmt.Errorf("the indicator mixes metric sources %s and %s: measure good and total with one source", name, q.Source)
		}
		name = q.Source
	}
	return name, nil
}

// Metric sources an SLI can read.
const (
	// SLOSourcePrometheus queries a Prometheus server's HTTP API.
	SLOSourcePrometheus = "prometheus"
	// SLOSourceFrontDoor reads the local target's front doors (no other
	// software needed).
	SLOSourceFrontDoor = "frontdoor"
)

// Front-door metrics an SLI may name.
const (
	// FrontDoorRequests counts every request answered.
	FrontDoorRequests = "requests"
	// FrontDoorErrors counts 5xx answers, proxy errors included.
	FrontDoorErrors = "errors"
	// FrontDoorGood counts the requests that were not errors.
	FrontDoorGood = "good"
	// FrontDoorLatencyUnder counts requests answered within Under.
	FrontDoorLatencyUnder = "latencyUnder"
)

// MetricQuery is one metric of an SLI.
type MetricQuery struct {
	Source string `json:"source"` // SLOSourcePrometheus or SLOSourceFrontDoor
	// Prometheus: the server's base URL (from the DataSource) and the
	// PromQL. A ratio's queries are counter selectors: gennaker takes their
	// increase over each window.
	URL   string `json:"url,omitempty"`
	Query string `json:"query,omitempty"`
	// Front door: which count, and the latency bound of latencyUnder.
	Metric string   `json:"metric,omitempty"`
	Under  Duration `json:"under,omitempty"`
}

// Objective is one target of an SLO.
type Objective struct {
	Name string `json:"name,omitempty"`
	// Target is the good fraction promised, in (0, 1).
	Target float64 `json:"target"`
	// Op and Value compare a threshold SLI: lt, lte, gt, gte.
	Op    string  `json:"op,omitempty"`
	Value float64 `json:"value,omitempty"`
	// TimeSliceTarget and TimeSliceWindow define a good slice (Timeslices).
	TimeSliceTarget float64  `json:"timeSliceTarget,omitempty"`
	TimeSliceWindow Duration `json:"timeSliceWindow,omitempty"`
}

// BurnRateAlert fires when the error budget burns at Factor times the
// sustainable rate over both the Long and the Short window (SRE workbook,
// ch. 5, "multiwindow, multi-burn-rate alerts").
type BurnRateAlert struct {
	Name     string   `json:"name"`
	Severity string   `json:"severity"` // page or ticket
	Factor   float64  `json:"factor"`
	Long     Duration `json:"long"`
	Short    Duration `json:"short"`
	// For is how long both windows must stay above Factor before it fires
	// (OpenSLO alertAfter); 0 fires at once.
	For Duration `json:"for,omitempty"`
	// Notify names gennaker Notifications (from AlertNotificationTargets)
	// to tell; empty: every Notification whose events include slo_alert.
	Notify []string `json:"notify,omitempty"`
}

// DefaultBurnRateAlerts are the SRE workbook's recommended pairs for a
// 30-day budget: 2% of the budget in 1 h, 5% in 6 h (page), 10% in 1 d and
// 10% in 3 d (ticket).
func DefaultBurnRateAlerts() []BurnRateAlert {
	h := Duration(time.Hour)
	m := Duration(time.Minute)
	return []BurnRateAlert{
		{Name: "page-1h", Severity: "page", Factor: 14.4, Long: h, Short: 5 * m},
		{Name: "page-6h", Severity: "page", Factor: 6, Long: 6 * h, Short: 30 * m},
		{Name: "ticket-1d", Severity: "ticket", Factor: 3, Long: 24 * h, Short: 2 * h},
		{Name: "ticket-3d", Severity: "ticket", Factor: 1, Long: 72 * h, Short: 6 * h},
	}
}

// AppSLO is an Application's shorthand for golden-signal SLOs measured by
// the front door (local targets) or Prometheus: `slo: {availability: 99.9,
// latency: {p: 0.99, under: 300ms}}` over a rolling 28 days.
type AppSLO struct {
	// Availability is the percent of requests that must not fail (5xx).
	Availability float64     `json:"availability,omitempty"`
	Latency      *AppLatency `json:"latency,omitempty"`
	// Window is the rolling window in days (default 28).
	WindowDays int `json:"windowDays,omitempty"`
}

// AppLatency: fraction P of requests answered within Under.
type AppLatency struct {
	P     float64  `json:"p"`
	Under Duration `json:"under"`
}

// SLOPolicy is an environment's error-budget deploy policy: deploys of an
// application whose SLOs are short of budget or burning fast are held,
// except rollbacks and changes marked as fixes; an approver may override.
type SLOPolicy struct {
	// MinBudget holds deploys when an SLO's remaining budget is below this
	// fraction of the window's budget (0.1 = 10% left); 0 disables.
	MinBudget float64 `json:"minBudget,omitempty"`
	// MaxBurnRate holds deploys while the burn rate over BurnWindow (default
	// 1h) is above it; 0 disables.
	MaxBurnRate float64  `json:"maxBurnRate,omitempty"`
	BurnWindow  Duration `json:"burnWindow,omitempty"`
	// Narrow makes canaries more careful when the budget is low.
	Narrow *CanaryNarrowing `json:"narrow,omitempty"`
	// Freeze windows hold every deploy that is not a rollback or a fix.
	Freeze []FreezeWindow `json:"freeze,omitempty"`
	// Unknown is what to do when an SLO has no recent evaluation: "allow"
	// (default) or "hold".
	Unknown string `json:"unknown,omitempty"`
}

// CanaryNarrowing: below BelowBudget remaining, a canary's first weight is
// at most MaxFirstWeight percent and its analysis intervals are
// AnalysisFactor times longer.
type CanaryNarrowing struct {
	BelowBudget    float64 `json:"belowBudget"`
	MaxFirstWeight int     `json:"maxFirstWeight,omitempty"`
	AnalysisFactor float64 `json:"analysisFactor,omitempty"`
}

// FreezeWindow is a recurring weekly period, e.g. from "Fri 16:00" to
// "Mon 08:00" in TimeZone (IANA; default UTC).
type FreezeWindow struct {
	Name     string `json:"name,omitempty"`
	From     string `json:"from"`
	To       string `json:"to"`
	TimeZone string `json:"timeZone,omitempty"`
}

// SLOGateStage holds the pipeline while the application's SLOs (or the
// named ones) are short of budget or burning fast; an approver may
// override it with a reason. Unset thresholds come from the environment's
// SLOPolicy.
type SLOGateStage struct {
	Environment string   `json:"environment"`
	SLOs        []string `json:"slos,omitempty"`
	MinBudget   float64  `json:"minBudget,omitempty"`
	MaxBurnRate float64  `json:"maxBurnRate,omitempty"`
	// Timeout fails the stage when it is still held after this long; 0 waits
	// until released or overridden.
	Timeout Duration `json:"timeout,omitempty"`
}

// SLOStatus is an SLO's latest evaluation, written by the evaluator and
// read by the deploy gate, the API, the UI and the CLI.
type SLOStatus struct {
	Name        string    `json:"name"`
	Application string    `json:"application"`
	Environment string    `json:"environment,omitempty"`
	EvaluatedAt time.Time `json:"evaluatedAt"`
	// WindowStart and WindowEnd bound the window evaluated.
	WindowStart time.Time         `json:"windowStart"`
	WindowEnd   time.Time         `json:"windowEnd"`
	Objectives  []ObjectiveStatus `json:"objectives"`
	// BurnRates are the error-budget burn rates of the first objective over
	// each alert window (1 = the budget lasts exactly the window).
	BurnRates []BurnRate   `json:"burnRates,omitempty"`
	Alerts    []AlertState `json:"alerts,omitempty"`
	// Error says why the SLO could not be evaluated ("" when it was).
	Error string `json:"error,omitempty"`
}

// ObjectiveStatus is one objective's standing over the window.
type ObjectiveStatus struct {
	Name   string  `json:"name,omitempty"`
	Target float64 `json:"target"`
	// Good and Total are events (Occurrences) or slices (Timeslices).
	Good  float64 `json:"good"`
	Total float64 `json:"total"`
	// Attainment is Good/Total (1 with no data).
	Attainment float64 `json:"attainment"`
	// BudgetRemaining is the fraction of the window's error budget left:
	// 1 untouched, 0 spent, negative overspent.
	BudgetRemaining float64 `json:"budgetRemaining"`
}

// BurnRate is the burn rate over one window ending at the evaluation.
type BurnRate struct {
	Window Duration `json:"window"`
	Rate   float64  `json:"rate"`
}

// AlertState is one burn-rate alert's state.
type AlertState struct {
	Name      string    `json:"name"`
	Severity  string    `json:"severity"`
	Firing    bool      `json:"firing"`
	Pending   bool      `json:"pending,omitempty"` // above the factor, For not yet passed
	Since     time.Time `json:"since,omitzero"`    // when it started firing or pending
	LongRate  float64   `json:"longRate"`
	ShortRate float64   `json:"shortRate"`
}

// DefaultSLOWindowDays is the rolling window of shorthand SLOs.
const DefaultSLOWindowDays = 28

// DefaultSLOs turns the application's `slo:` shorthand into SLOs measured by
// its front doors in every production environment: "<app>-availability"
// (requests that were not 5xx over all requests) and "<app>-latency"
// (requests answered within Under over all requests), over a rolling
// window, with the default burn-rate alerts. None without the shorthand.
func (a Application) DefaultSLOs() []SLO {
	if a.SLO == nil {
		return nil
	}
	days := a.SLO.WindowDays
	if days == 0 {
		days = DefaultSLOWindowDays
	}
	base := SLO{
		Service: a.Name, Application: a.Name, Origin: "application",
		Window:    SLOWindow{Count: days, Unit: "d", Rolling: true},
		Budgeting: BudgetOccurrences, Alerts: DefaultBurnRateAlerts(),
	}
	total := &MetricQuery{Source: SLOSourceFrontDoor, Metric: FrontDoorRequests}
	var out []SLO
	if a.SLO.Availability > 0 {
		s := base
		s.Name = a.Name + "-availability"
		s.Description = "requests to " + a.Name + " that did not fail (5xx)"
		s.Indicator = SLI{Name: s.Name, Good: &MetricQuery{Source: SLOSourceFrontDoor, Metric: FrontDoorGood}, Total: total}
		s.Objectives = []Objective{{Name: "availability", Target: a.SLO.Availability / 100}}
		out = append(out, s)
	}
	if l := a.SLO.Latency; l != nil && l.P > 0 {
		s := base
		s.Name = a.Name + "-latency"
		s.Description = "requests to " + a.Name + " answered within " + l.Under.String()
		s.Indicator = SLI{Name: s.Name, Good: &MetricQuery{Source: SLOSourceFrontDoor, Metric: FrontDoorLatencyUnder, Under: l.Under}, Total: total}
		s.Objectives = []Objective{{Name: "latency", Target: l.P}}
		out = append(out, s)
	}
	return out
}

// ConfigSLOs is every SLO of a config: the resolved OpenSLO ones and the
// applications' shorthand ones, by name (an explicit SLO wins over a
// shorthand one of the same name).
func ConfigSLOs(apps []Application, slos []SLO) []SLO {
	seen := make(map[string]bool, len(slos))
	out := make([]SLO, 0, len(slos))
	for _, s := range slos {
		seen[s.Name] = true
		out = append(out, s)
	}
	for _, a := range apps {
		for _, s := range a.DefaultSLOs() {
			if !seen[s.Name] {
				seen[s.Name] = true
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(x, y SLO) int { return strings.Compare(x.Name, y.Name) })
	return out
}
