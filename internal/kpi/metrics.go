package kpi

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the KPIs as Prometheus metrics (docs/grafana-kpis.json):
// counted by the replica that folded each event, so sum them across
// replicas. Each event is folded by exactly one replica, once.
type Metrics struct {
	deploys, failures              *prometheus.CounterVec
	rework, steps, wait, outOfBand *prometheus.CounterVec
	lead, recovery                 *prometheus.HistogramVec
	folded                         prometheus.Gauge
	mu                             sync.Mutex
	teams                          func(app string) string
}

// durationBuckets span a minute to a month (seconds).
var durationBuckets = []float64{60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 259200, 604800, 1209600, 2592000}

// NewMetrics registers the KPI metrics with reg; team names an
// application's team (nil: none).
func NewMetrics(reg prometheus.Registerer, team func(app string) string) *Metrics {
	l := []string{"team", "application", "environment"}
	m := &Metrics{
		deploys: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gennaker_kpi_deploys_total",
			Help: "Production deploys that ended, by outcome (succeeded: went live; failed)."}, append(l, "outcome")),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gennaker_kpi_change_failures_total",
			Help: "Production deploys that became change failures, by first cause (failed, rolled_back, incident)."}, append(l, "cause")),
		rework: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gennaker_kpi_rework_deploys_total",
			Help: "Production deploys that were the fix of a recent change failure."}, l),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gennaker_kpi_manual_steps_total",
			Help: "Manual steps of the production deploys that ended."}, l),
		wait: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gennaker_kpi_human_wait_seconds_total",
			Help: "Time production deploys waited for people."}, l),
		outOfBand: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gennaker_kpi_out_of_band_changes_total",
			Help: "Changes made around gennaker in production environments."}, []string{"application", "environment"}),
		lead: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gennaker_kpi_lead_time_seconds",
			Help: "Lead time for changes: commit to live in production.", Buckets: durationBuckets}, l),
		recovery: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gennaker_kpi_recovery_time_seconds",
			Help: "Failed deployment recovery time: failure to restored.", Buckets: durationBuckets}, l),
		folded: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gennaker_kpi_folded_event_id",
			Help: "The last event this server folded into the KPI rollups."}),
		teams: team,
	}
	if m.teams == nil {
		m.teams = func(string) string { return "" }
	}
	reg.MustRegister(m.deploys, m.failures, m.rework, m.steps, m.wait, m.outOfBand, m.lead, m.recovery, m.folded)
	return m
}

// record counts what a committed batch learned.
func (m *Metrics) record(obs []observation, lastEvent int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range obs {
		if o.OutOfBand {
			m.outOfBand.WithLabelValues(o.App, o.Env).Inc()
			continue
		}
		team := m.teams(o.App)
		if o.Ended != "" {
			m.deploys.WithLabelValues(team, o.App, o.Env, o.Ended).Inc()
			m.steps.WithLabelValues(team, o.App, o.Env).Add(float64(o.Steps))
			m.wait.WithLabelValues(team, o.App, o.Env).Add(float64(o.WaitUS) / 1e6)
			if o.Rework {
				m.rework.WithLabelValues(team, o.App, o.Env).Inc()
			}
		}
		if o.LeadUS >= 0 {
			m.lead.WithLabelValues(team, o.App, o.Env).Observe(float64(o.LeadUS) / 1e6)
		}
		if o.Cause != "" {
			m.failures.WithLabelValues(team, o.App, o.Env, o.Cause).Inc()
		}
		if o.RecoveryUS >= 0 {
			m.recovery.WithLabelValues(team, o.App, o.Env).Observe(float64(o.RecoveryUS) / 1e6)
		}
	}
	if lastEvent > 0 {
		m.folded.Set(float64(lastEvent))
	}
}
