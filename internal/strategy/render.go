package strategy

import (
	"fmt"
	"strings"
)

// String renders a step on one line without its Why, e.g.
// "set-traffic new=10 baseline=10 app-v001=80 header->new".
func (s Step) String() string {
	switch s.Action {
	case ActionCreate:
		return fmt.Sprintf("create %s %s %s x%d", s.Ref, s.Version, s.Role, s.Instances)
	case ActionResize:
		return fmt.Sprintf("resize %s x%d", s.Ref, s.Instances)
	case ActionSetTraffic:
		var b strings.Builder
		b.WriteString("set-traffic")
		for _, r := range refsOf(s.Weights) {
			fmt.Fprintf(&b, " %s=%d", r, s.Weights[r])
		}
		if s.CanaryRef != "" {
			fmt.Fprintf(&b, " header->%s", s.CanaryRef)
		}
		return b.String()
	case ActionPause:
		if s.Pause == 0 {
			return "pause until approved"
		}
		return "pause " + s.Pause.String()
	case ActionAnalysis:
		out := fmt.Sprintf("analysis %s vs %s", s.Ref, s.Against)
		if s.Analysis != nil {
			out += fmt.Sprintf(" intervals=%d interval=%s", s.Analysis.Intervals, s.Analysis.Interval)
		}
		return out
	}
	return fmt.Sprintf("%s %s", s.Action, s.Ref)
}

// String renders the plan one step per line, without the Whys.
func (p Plan) String() string {
	var b strings.Builder
	for _, s := range p.Steps {
		b.WriteString(s.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Explain renders the plan one step per line, each followed by its Why.
func (p Plan) Explain() string {
	var b strings.Builder
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "%2d. %-40s # %s\n", i+1, s.String(), s.Why)
	}
	return b.String()
}
