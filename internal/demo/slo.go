package demo

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
)

// SLOResult is one of the sample service's SLOs at the end of the run.
type SLOResult struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Target      float64 `json:"target"`
	Attainment  float64 `json:"attainment"`
	// BudgetRemaining is the share of the window's error budget left.
	BudgetRemaining float64 `json:"budgetRemaining"`
	// Burned is the share of the budget each release's deploy burned
	// until the next deploy or rollback, by version.
	Burned map[string]float64 `json:"burned"`
}

// demoSLOs are the SLOs the demo's config gives the sample service.
var demoSLOs = []string{"sample-availability", "sample-latency"}

// sloResults reads the sample service's SLOs once the evaluator has looked
// at them after the run's traffic ended (at) and the front door's last
// seconds were stored (every 5 s).
func sloResults(ctx context.Context, c *client.Client, at time.Time) []SLOResult {
	fresh := at.Add(6 * time.Second)
	deadline := time.Now().Add(20 * time.Second)
	var out []SLOResult
	for _, name := range demoSLOs {
		for {
			d, err := c.SLO(ctx, name)
			if err == nil && d.Status != nil && len(d.Status.Objectives) > 0 && d.Status.EvaluatedAt.After(fresh) {
				o := d.Status.Objectives[0]
				r := SLOResult{Name: name, Description: d.SLO.Description, Target: o.Target, Attainment: o.Attainment,
					BudgetRemaining: o.BudgetRemaining, Burned: map[string]float64{}}
				for _, dp := range d.Deploys {
					if dp.Kind == model.EventDeployStarted {
						r.Burned[dp.Version] += dp.Burned
					}
				}
				out = append(out, r)
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return out
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return out
}

// sloSummary prints the SLOs: attainment, the budget left, and what each
// release burned of it.
func (p *printer) sloSummary(res *Result) {
	if len(res.SLOs) == 0 {
		return
	}
	p.say("=== SLOs of the sample service (gennaker slo list; the UI's %sslos)", res.UI)
	for _, s := range res.SLOs {
		p.say("  %-20s %s target, %s attained, %s of the 28-day error budget left (%s)", s.Name,
			kpi.FormatPercent(s.Target), kpi.FormatPercent(s.Attainment), kpi.FormatPercent(s.BudgetRemaining), s.Description)
		for _, rel := range Releases {
			if b, ok := s.Burned[rel.Version]; ok {
				p.say("  %-20s   %s burned %s of the budget until the next deploy or rollback", "", rel.Version, kpi.FormatPercent(b))
			}
		}
	}
	p.say("  (the window holds only this run's two minutes of traffic, so one bad canary spends most of the budget)")
	p.say("")
}
