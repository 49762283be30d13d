package eval

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gennaker/gennaker/internal/model"
)

// Metrics are the SLOs' standing as Prometheus metrics, set by the replica
// that evaluates (the others report none: take the max across replicas).
// A nil *Metrics records nothing.
type Metrics struct {
	budget   *prometheus.GaugeVec
	burn     *prometheus.GaugeVec
	firing   *prometheus.GaugeVec
	duration prometheus.Histogram
	slos     prometheus.Gauge
	failed   prometheus.Gauge
}

// NewMetrics registers the SLO metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		budget: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gennaker_slo_budget_remaining",
			Help: "Fraction of the SLO window's error budget left (1 untouched, 0 spent, negative overspent)."}, []string{"slo", "objective"}),
		burn: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gennaker_slo_burn_rate",
			Help: "Error-budget burn rate of the SLO's first objective over the window ending now (1: the budget lasts the SLO window)."}, []string{"slo", "window"}),
		firing: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gennaker_slo_alert_firing",
			Help: "1 while the SLO's burn-rate alert fires."}, []string{"slo", "alert", "severity"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gennaker_slo_evaluation_duration_seconds",
			Help: "Time one round of evaluating every SLO took.", Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		slos: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gennaker_slo_evaluated",
			Help: "SLOs in the last evaluation round of this replica."}),
		failed: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gennaker_slo_evaluation_errors",
			Help: "SLOs the last round could not evaluate (their status says why)."}),
	}
	reg.MustRegister(m.budget, m.burn, m.firing, m.duration, m.slos, m.failed)
	return m
}

// set records one SLO's status.
func (m *Metrics) set(st model.SLOStatus) {
	if m == nil {
		return
	}
	m.drop(st.Name)
	for _, o := range st.Objectives {
		m.budget.WithLabelValues(st.Name, o.Name).Set(o.BudgetRemaining)
	}
	for _, b := range st.BurnRates {
		m.burn.WithLabelValues(st.Name, b.Window.String()).Set(b.Rate)
	}
	for _, a := range st.Alerts {
		v := 0.0
		if a.Firing {
			v = 1
		}
		m.firing.WithLabelValues(st.Name, a.Name, a.Severity).Set(v)
	}
}

// drop forgets an SLO's series.
func (m *Metrics) drop(name string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"slo": name}
	m.budget.DeletePartialMatch(l)
	m.burn.DeletePartialMatch(l)
	m.firing.DeletePartialMatch(l)
}

// forget drops every SLO's series: another replica evaluates now.
func (m *Metrics) forget() {
	if m == nil {
		return
	}
	m.budget.Reset()
	m.burn.Reset()
	m.firing.Reset()
	m.slos.Set(0)
	m.failed.Set(0)
}

func (m *Metrics) round(took time.Duration, slos, failed int) {
	if m == nil {
		return
	}
	m.duration.Observe(took.Seconds())
	m.slos.Set(float64(slos))
	m.failed.Set(float64(failed))
}
