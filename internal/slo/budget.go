package slo

import (
	"math"

	"github.com/gennaker/gennaker/internal/model"
)

// Counts are an SLI's measurements over one window: good and total events
// (Occurrences) or good slices and slices with data (Timeslices).
type Counts struct {
	Good  float64 `json:"good"`
	Total float64 `json:"total"`
}

// Bad is Total - Good, never negative.
func (c Counts) Bad() float64 { return math.Max(0, c.Total-c.Good) }

// ErrorRatio is Bad/Total, 0 without data.
func (c Counts) ErrorRatio() float64 {
	if c.Total <= 0 {
		return 0
	}
	return c.Bad() / c.Total
}

// Attainment is Good/Total, 1 without data (nothing failed).
func (c Counts) Attainment() float64 {
	if c.Total <= 0 {
		return 1
	}
	return math.Min(1, c.Good/c.Total)
}

// BurnRate is how fast the budget burns: the error ratio over the error
// budget (1 - target). At 1 the budget lasts exactly the SLO's window; at
// 14.4 a 30-day budget is gone in 50 hours (SRE workbook, ch. 5).
func BurnRate(target float64, c Counts) float64 {
	return c.ErrorRatio() / (1 - target)
}

// BudgetRemaining is the fraction of the window's error budget left: 1 -
// bad / (budget × total). 1 without data; negative once overspent.
func BudgetRemaining(target float64, c Counts) float64 {
	if c.Total <= 0 {
		return 1
	}
	return 1 - c.Bad()/((1-target)*c.Total)
}

// Objective returns an objective's standing over the window.
func Objective(o model.Objective, c Counts) model.ObjectiveStatus {
	return model.ObjectiveStatus{
		Name: o.Name, Target: o.Target, Good: c.Good, Total: c.Total,
		Attainment: c.Attainment(), BudgetRemaining: BudgetRemaining(o.Target, c),
	}
}
