package analysis

import (
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// CheckTally counts one check's measurements over an analysis step.
type CheckTally struct {
	Check        string `json:"check"`
	Measurements int    `json:"measurements"`
	Successful   int    `json:"successful"`
	Failed       int    `json:"failed"`
	Inconclusive int    `json:"inconclusive"`
	Errors       int    `json:"errors"`
	// ConsecutiveErrors counts the errors since the last measurement that
	// was not one.
	ConsecutiveErrors int `json:"consecutiveErrors"`
}

// Tally counts the measurements of each check, in the checks' order;
// measurements must be in the order they were made.
func Tally(checks []model.AnalysisCheck, ms []CheckMeasurement) []CheckTally {
	out := make([]CheckTally, len(checks))
	idx := make(map[string]int, len(checks))
	for i, c := range checks {
		out[i].Check = c.Name
		idx[c.Name] = i
	}
	for _, m := range ms {
		i, ok := idx[m.Check]
		if !ok {
			continue
		}
		t := &out[i]
		t.Measurements++
		if m.Phase == CheckError {
			t.Errors++
			t.ConsecutiveErrors++
			continue
		}
		t.ConsecutiveErrors = 0
		switch m.Phase {
		case CheckSuccessful:
			t.Successful++
		case CheckFailed:
			t.Failed++
		case CheckInconclusive:
			t.Inconclusive++
		}
	}
	return out
}

// CheckVerdict is what the checks say after a judged interval.
type CheckVerdict struct {
	// Outcome is OutcomeFail (a check failed more often than its
	// failureLimit), OutcomeInconclusive (more inconclusive measurements
	// than inconclusiveLimit, or more errors in a row than
	// consecutiveErrorLimit) or OutcomePass (so far within every limit; the
	// step's intervals decide whether more are measured).
	Outcome Outcome `json:"outcome"`
	// Score is the share of measurements so far that were successful, 0-100.
	Score   float64      `json:"score"`
	Reason  string       `json:"reason"`
	Tallies []CheckTally `json:"tallies"`
}

// DecideChecks applies each check's limits to its measurements so far (the
// whole step's, in order), as Argo Rollouts does: failures beyond
// failureLimit fail, inconclusive ones beyond inconclusiveLimit and errors
// in a row beyond consecutiveErrorLimit make the step inconclusive (Argo
// would abort on the errors; here nothing measured is never a verdict, and
// the canary's onInconclusive decides). A failure wins over the rest.
func DecideChecks(checks []model.AnalysisCheck, ms []CheckMeasurement) CheckVerdict {
	v := CheckVerdict{Outcome: OutcomePass, Tallies: Tally(checks, ms)}
	last := lastMessages(ms)
	var total, good int
	var failed, inconclusive, summary []string
	for i, c := range checks {
		t := v.Tallies[i]
		total += t.Measurements
		good += t.Successful
		summary = append(summary, fmt.Sprintf("%s %d/%d successful", c.Name, t.Successful, t.Measurements))
		switch {
		case c.FailureLimit != model.NoLimit && t.Failed > c.FailureLimit:
			failed = append(failed, fmt.Sprintf("check %s failed %d of %d measurements (failureLimit %d): %s", c.Name, t.Failed, t.Measurements, c.FailureLimit, last[c.Name]))
		case t.ConsecutiveErrors > c.ErrorLimit():
			inconclusive = append(inconclusive, fmt.Sprintf("check %s could not measure %d times in a row (consecutiveErrorLimit %d): %s", c.Name, t.ConsecutiveErrors, c.ErrorLimit(), last[c.Name]))
		case c.InconclusiveLimit != model.NoLimit && t.Inconclusive > c.InconclusiveLimit:
			inconclusive = append(inconclusive, fmt.Sprintf("check %s was inconclusive %d of %d times (inconclusiveLimit %d): %s", c.Name, t.Inconclusive, t.Measurements, c.InconclusiveLimit, last[c.Name]))
		}
	}
	if total > 0 {
		v.Score = 100 * float64(good) / float64(total)
	}
	switch {
	case len(failed) > 0:
		v.Outcome, v.Reason = OutcomeFail, strings.Join(failed, "; ")
	case len(inconclusive) > 0:
		v.Outcome, v.Reason = OutcomeInconclusive, strings.Join(inconclusive, "; ")
	default:
		v.Reason = "checks within their limits: " + strings.Join(summary, ", ")
	}
	return v
}

// lastMessages is each check's latest measurement message.
func lastMessages(ms []CheckMeasurement) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		out[m.Check] = "last: " + string(m.Phase) + ": " + m.Message
	}
	return out
}
