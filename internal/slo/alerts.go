package slo

import (
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Rates gives the burn rate over the window of the given length ending now.
type Rates func(window time.Duration) float64

// EvaluateAlerts decides each multi-window burn-rate alert at now: it is
// above when the burn rate over both its long and its short window is at
// least its factor (the short window makes it reset soon after the burn
// stops; SRE workbook ch. 5). Above for at least For, it fires; above for
// less, it is pending; below, it is neither. prev carries when each alert
// became pending or firing across evaluations.
func EvaluateAlerts(alerts []model.BurnRateAlert, rates Rates, prev []model.AlertState, now time.Time) []model.AlertState {
	before := make(map[string]model.AlertState, len(prev))
	for _, p := range prev {
		before[p.Name] = p
	}
	out := make([]model.AlertState, 0, len(alerts))
	for _, a := range alerts {
		st := model.AlertState{Name: a.Name, Severity: a.Severity,
			LongRate: rates(a.Long.D()), ShortRate: rates(a.Short.D())}
		if st.LongRate >= a.Factor && st.ShortRate >= a.Factor {
			st.Since = now
			if p, ok := before[a.Name]; ok && (p.Firing || p.Pending) && !p.Since.IsZero() {
				st.Since = p.Since
			}
			st.Firing = now.Sub(st.Since) >= a.For.D()
			st.Pending = !st.Firing
		}
		out = append(out, st)
	}
	return out
}
