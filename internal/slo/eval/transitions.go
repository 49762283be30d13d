package eval

import (
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Transitions are the events of an SLO's alerts between two evaluations:
// slo_alert_firing for each alert that fires now and did not before,
// slo_alert_resolved for each that fired before and does not now (or is
// gone: its SLO or the alert was removed).
func Transitions(s model.SLO, before, after []model.AlertState, at time.Time) []model.Event {
	was := make(map[string]bool, len(before))
	for _, a := range before {
		was[a.Name] = a.Firing
	}
	var out []model.Event
	ev := func(kind model.EventKind, alert, detail string) {
		out = append(out, model.Event{Time: at, Kind: kind, Application: s.Application, Environment: s.Environment,
			Ref: s.Name, Action: alert, Detail: detail})
	}
	factors := make(map[string]model.BurnRateAlert, len(s.Alerts))
	for _, a := range s.Alerts {
		factors[a.Name] = a
	}
	now := make(map[string]bool, len(after))
	for _, a := range after {
		now[a.Name] = a.Firing
		spec := factors[a.Name]
		switch {
		case a.Firing && !was[a.Name]:
			ev(model.EventSLOAlertFiring, a.Name, fmt.Sprintf("%s: the error budget burns %.1fx the sustainable rate over %s and %.1fx over %s (fires at %gx)",
				a.Severity, a.LongRate, spec.Long, a.ShortRate, spec.Short, spec.Factor))
		case !a.Firing && was[a.Name]:
			ev(model.EventSLOAlertResolved, a.Name, fmt.Sprintf("%s: the burn rate is back under %gx: %.1fx over %s, %.1fx over %s",
				a.Severity, spec.Factor, a.LongRate, spec.Long, a.ShortRate, spec.Short))
		}
	}
	for _, a := range before {
		if _, still := now[a.Name]; a.Firing && !still {
			ev(model.EventSLOAlertResolved, a.Name, a.Severity+": the alert is no longer configured")
		}
	}
	return out
}
