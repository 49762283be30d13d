package slo

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Defaults of the deploy policy.
const (
	// DefaultBurnWindow is the burn-rate window of SLOPolicy.MaxBurnRate.
	DefaultBurnWindow = time.Hour
	// DefaultEvaluationInterval is how often the evaluator looks at an SLO.
	DefaultEvaluationInterval = 30 * time.Second
	// DefaultStatusMaxAge: a status older than three evaluations is unknown.
	DefaultStatusMaxAge = 3 * DefaultEvaluationInterval
	// DefaultMaxFirstWeight and DefaultAnalysisFactor narrow a canary when
	// CanaryNarrowing leaves them unset.
	DefaultMaxFirstWeight = 5
	DefaultAnalysisFactor = 2.0
)

// Unknown policies: what an SLO without a recent evaluation does.
const (
	// UnknownAllow lets the deploy go (the default), noting the SLO.
	UnknownAllow = "allow"
	// UnknownHold holds the deploy as if the SLO were short of budget.
	UnknownHold = "hold"
)

// Exemptions: changes the policy never holds.
const (
	// ExemptRollback: a rollback stage or a rollback execution.
	ExemptRollback = "rollback"
	// ExemptFix: an execution marked as a fix (model.ParamFix).
	ExemptFix = "fix"
)

// GateInput is what the deploy gate decides on.
type GateInput struct {
	Application string
	Environment string
	// Policy is the environment's SLOPolicy, merged with a sloGate stage's
	// own thresholds (MergePolicy).
	Policy model.SLOPolicy
	// SLOs are the SLOs that gate the deploy (GateSLOs); Statuses their
	// latest evaluations by name (missing: never evaluated).
	SLOs     []model.SLO
	Statuses map[string]*model.SLOStatus
	Now      time.Time
	// Rollback and Fix exempt the change from holding and narrowing.
	Rollback bool
	Fix      bool
	// MaxAge is how old a status may be before it counts as unknown
	// (0: DefaultStatusMaxAge).
	MaxAge time.Duration
}

// Decision is the gate's answer.
type Decision struct {
	// Hold is set when the deploy must wait (or be overridden).
	Hold bool `json:"hold"`
	// Reasons say, one line each, what holds it; for an exempt change, what
	// would have held it.
	Reasons []string `json:"reasons,omitempty"`
	// Notes say what did not hold it but a person should know (an SLO not
	// evaluated, under unknown: allow).
	Notes []string `json:"notes,omitempty"`
	// Narrow, when set, makes the deploy's canary more careful.
	Narrow *Narrowing `json:"narrow,omitempty"`
	// Freeze names the freeze window that holds it; FreezeUntil is its end.
	Freeze      string    `json:"freeze,omitempty"`
	FreezeUntil time.Time `json:"freezeUntil,omitzero"`
	// Exempt says why a change that would be held passes: ExemptRollback
	// or ExemptFix ("" when not exempt).
	Exempt string `json:"exempt,omitempty"`
}

// Narrowing caps a canary's first traffic weight and stretches its
// analysis intervals.
type Narrowing struct {
	MaxFirstWeight int     `json:"maxFirstWeight"`
	AnalysisFactor float64 `json:"analysisFactor"`
	// Reason says why: "checkout-availability budget 12% left (below 25%)".
	Reason string `json:"reason"`
}

// Summary is the decision in one line for a stage's output and reason.
func (d Decision) Summary() string {
	if len(d.Reasons) == 0 {
		return ""
	}
	s := d.Reasons[0]
	for _, r := range d.Reasons[1:] {
		s += "; " + r
	}
	return s
}

// MergePolicy is env (nil: none) with a sloGate stage's thresholds (nil:
// none) in place of the environment's where the stage sets them.
func MergePolicy(env *model.SLOPolicy, gate *model.SLOGateStage) model.SLOPolicy {
	var p model.SLOPolicy
	if env != nil {
		p = *env
	}
	if gate != nil {
		if gate.MinBudget > 0 {
			p.MinBudget = gate.MinBudget
		}
		if gate.MaxBurnRate > 0 {
			p.MaxBurnRate = gate.MaxBurnRate
		}
	}
	return p
}

// GateSLOs are the SLOs of all that gate a deploy of app into env: the
// application's SLOs that measure env (an SLO without an environment
// measures every one), or only the application's SLOs named when names is
// not empty (a name that matches none is kept with no status: unknown).
func GateSLOs(all []model.SLO, app, env string, names []string) []model.SLO {
	var out []model.SLO
	if len(names) > 0 {
		// Named SLOs are the application's only; one that no longer exists
		// (deleted since the pipeline was applied) stays in the list with no
		// status, so it counts as unknown instead of passing unseen.
		for _, n := range names {
			i := slices.IndexFunc(all, func(s model.SLO) bool { return s.Name == n && s.Application == app })
			if i < 0 {
				out = append(out, model.SLO{Name: n, Application: app})
				continue
			}
			out = append(out, all[i])
		}
		return out
	}
	for _, s := range all {
		if s.Application == app && (s.Environment == "" || s.Environment == env) {
			out = append(out, s)
		}
	}
	return out
}

// Gate decides whether a deploy may go now. Rules, in order:
//   - a freeze window of the policy that contains Now holds;
//   - an SLO holds when any of its objectives has less budget left than
//     MinBudget (any objective, not only the first: each is a promise), or
//     when its burn rate over BurnWindow (default 1h; the status's burn
//     rates are the first objective's) is above MaxBurnRate;
//   - an SLO with no status, a failed evaluation or one older than MaxAge
//     is unknown: it holds only under Unknown "hold";
//   - rollbacks and fixes are never held nor narrowed: the decision says
//     what would have held them (Exempt, Reasons) with Hold false.
//
// Narrow is set when some SLO's least budget is below Narrow.BelowBudget.
func Gate(in GateInput) Decision {
	var d Decision
	p := in.Policy
	for _, fw := range p.Freeze {
		f, err := ParseFreeze(fw)
		if err != nil {
			// Config validation rejects these; a window that cannot be read
			// holds rather than lets everything through unseen.
			d.Hold = true
			d.Reasons = append(d.Reasons, "unreadable "+err.Error())
			continue
		}
		if in, until := f.Contains(in.Now); in {
			d.Hold = true
			if d.Freeze == "" {
				d.Freeze, d.FreezeUntil = f.Name, until
				if d.Freeze == "" {
					d.Freeze = f.From.String() + " to " + f.To.String()
				}
			}
			d.Reasons = append(d.Reasons, fmt.Sprintf("freeze window %s until %s", f, until.Format("Mon 15:04 MST")))
		}
	}
	maxAge := in.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultStatusMaxAge
	}
	burnWindow := p.BurnWindow.D()
	if burnWindow <= 0 {
		burnWindow = DefaultBurnWindow
	}
	least, leastSLO := math.Inf(1), ""
	for _, s := range in.SLOs {
		st := in.Statuses[s.Name]
		if why := unknown(st, in.Now, maxAge); why != "" {
			line := s.Name + " " + why
			if p.Unknown == UnknownHold {
				d.Hold = true
				d.Reasons = append(d.Reasons, line+" (sloPolicy.unknown: hold)")
			} else {
				d.Notes = append(d.Notes, line+" (sloPolicy.unknown: allow)")
			}
			continue
		}
		budget := leastBudget(st)
		if budget < least {
			least, leastSLO = budget, s.Name
		}
		rate, rateWindow, hasRate := burnOver(st, burnWindow)
		lowBudget := p.MinBudget > 0 && budget < p.MinBudget
		fastBurn := p.MaxBurnRate > 0 && hasRate && rate > p.MaxBurnRate
		if lowBudget || fastBurn {
			d.Hold = true
			line := fmt.Sprintf("%s budget %s left of %s", s.Name, percent(budget), windowName(s.Window))
			if hasRate {
				line += fmt.Sprintf("; burn %s× over %s", number(rate), durationName(rateWindow))
			}
			d.Reasons = append(d.Reasons, line)
		}
	}
	if n := p.Narrow; n != nil && leastSLO != "" && least < n.BelowBudget {
		d.Narrow = &Narrowing{
			MaxFirstWeight: cmpOr(n.MaxFirstWeight, DefaultMaxFirstWeight),
			AnalysisFactor: cmpOr(n.AnalysisFactor, DefaultAnalysisFactor),
			Reason:         fmt.Sprintf("%s budget %s left (below %s)", leastSLO, percent(least), percent(n.BelowBudget)),
		}
	}
	switch {
	case in.Rollback:
		d.Exempt = ExemptRollback
	case in.Fix:
		d.Exempt = ExemptFix
	}
	if d.Exempt != "" {
		d.Hold, d.Narrow = false, nil
	}
	return d
}

// unknown says why a status cannot be trusted ("" when it can).
func unknown(st *model.SLOStatus, now time.Time, maxAge time.Duration) string {
	switch {
	case st == nil:
		return "has not been evaluated yet"
	case st.Error != "":
		return "could not be evaluated: " + st.Error
	case len(st.Objectives) == 0:
		return "has no objective evaluated"
	case now.Sub(st.EvaluatedAt) > maxAge:
		return "was last evaluated " + durationName(now.Sub(st.EvaluatedAt).Truncate(time.Second)) + " ago"
	}
	return ""
}

// leastBudget is the smallest remaining budget of the status's objectives.
func leastBudget(st *model.SLOStatus) float64 {
	least := math.Inf(1)
	for _, o := range st.Objectives {
		least = math.Min(least, o.BudgetRemaining)
	}
	return least
}

// burnOver is the status's burn rate over window, or over the window
// nearest to it when the evaluator keeps no rate over exactly that window.
func burnOver(st *model.SLOStatus, window time.Duration) (float64, time.Duration, bool) {
	best, found := model.BurnRate{}, false
	for _, b := range st.BurnRates {
		if !found || absDur(b.Window.D()-window) < absDur(best.Window.D()-window) {
			best, found = b, true
		}
	}
	return best.Rate, best.Window.D(), found
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func cmpOr[T int | float64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// percent writes a fraction as a percentage with at most one decimal: 3%, 12.5%, -4%.
func percent(f float64) string { return number(f*100) + "%" }

// number writes v with at most one decimal: 8, 14.4.
func number(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// windowName writes an SLO window as configured: 28d, 1M.
func windowName(w model.SLOWindow) string {
	return strconv.Itoa(w.Count) + w.Unit
}

// durationName writes whole hours and minutes shortly: 1h, 30m, 1h30m, 45s.
func durationName(d time.Duration) string {
	s := d.String()
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}
