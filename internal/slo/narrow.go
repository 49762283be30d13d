package slo

import (
	"fmt"
	"math"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// NarrowCanary makes a canary more careful while the error budget is low:
// its first setWeight is at most n.MaxFirstWeight percent (later steps are
// kept, so the canary still grows as written), and every analysis step
// measures intervals n.AnalysisFactor times longer (as many of them as
// before). It returns the new spec, which shares nothing with spec, and one
// line per change.
func NarrowCanary(spec model.CanarySpec, n Narrowing) (model.CanarySpec, []string) {
	out := spec
	out.Steps = make([]model.CanaryStep, len(spec.Steps))
	var changes []string
	capped := false
	for i, s := range spec.Steps {
		c := model.CanaryStep{}
		switch {
		case s.SetWeight != nil:
			w := *s.SetWeight
			if !capped {
				capped = true
				if n.MaxFirstWeight > 0 && w > n.MaxFirstWeight {
					changes = append(changes, fmt.Sprintf("step %d: first weight %d%% capped at %d%%", i+1, w, n.MaxFirstWeight))
					w = n.MaxFirstWeight
				}
			}
			c.SetWeight = &w
		case s.Analysis != nil:
			a := *s.Analysis
			if n.AnalysisFactor > 1 {
				cfg := model.AnalysisSpec{}
				switch {
				case a.Resolved != nil:
					cfg = *a.Resolved
				case spec.Analysis != nil:
					cfg = *spec.Analysis
				}
				_, interval, intervals := a.Timing(cfg)
				longer := time.Duration(math.Round(float64(interval) * n.AnalysisFactor)).Round(time.Second)
				a.Interval, a.Intervals = model.Duration(longer), intervals
				changes = append(changes, fmt.Sprintf("step %d: analysis intervals %s instead of %s (%d of them)", i+1, longer, interval, intervals))
			}
			c.Analysis = &a
		case s.Pause != nil:
			p := *s.Pause
			c.Pause = &p
		}
		out.Steps[i] = c
	}
	return out, changes
}
