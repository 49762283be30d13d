package faults

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// The pipelines of testdata/pipelines.yaml, and the stage of each that
// calls the target.
const (
	pipelineChain   = "chain"
	pipelineRetried = "retried"
	pipelinePolled  = "polled"

	retriedStage = "call"
	polledStage  = "job"
)

// retriedCalls is how many times the retried pipeline's webhook must call
// the target: its first attempt and its 2 retries.
const retriedCalls = 2 + 1

// designed is how each pipeline's executions must end.
var designed = map[string]model.ExecutionStatus{
	pipelineChain:   model.ExecutionSucceeded,
	pipelineRetried: model.ExecutionFailed,
	pipelinePolled:  model.ExecutionSucceeded,
}

// verdict is what went wrong with a set of executions and the calls the
// target saw for them.
type verdict struct {
	Executions int
	// Stuck are executions still running after the wait for them to end.
	Stuck []model.Execution
	// WrongEnd are executions that ended otherwise than designed.
	WrongEnd []string
	// CallProblems are keys with another number of calls than designed.
	CallProblems []string
	// PollProblems are duplicate polls.
	PollProblems []pollProblem
	// Strays are keys the target saw that belong to no execution listed,
	// and requests without a key.
	Strays []string
	// CallsPerKey counts the calls of each retried key (for its distribution).
	CallsPerKey map[string]int
}

// judge compares the executions and what the target saw with the design.
// A stuck execution is reported as stuck only: its calls are not judged.
func judge(execs []model.Execution, rec targetRecord) verdict {
	v := verdict{Executions: len(execs), CallsPerKey: map[string]int{}}
	known := map[string]bool{}
	for _, e := range execs {
		for _, s := range e.Stages {
			known[e.ID+"/"+s.Name] = true
		}
		if e.Status == model.ExecutionRunning {
			v.Stuck = append(v.Stuck, e)
			continue
		}
		if want := designed[e.Pipeline]; e.Status != want {
			v.WrongEnd = append(v.WrongEnd, fmt.Sprintf("%s ended %s, want %s\n    %s", e.ID, e.Status, want, describe(e)))
		}
		switch e.Pipeline {
		case pipelineRetried:
			key := e.ID + "/" + retriedStage
			calls := rec.Calls[key]
			v.CallsPerKey[key] = len(calls)
			if len(calls) != retriedCalls {
				v.CallProblems = append(v.CallProblems, fmt.Sprintf("%s: %d calls at %s, want %d (1 + 2 retries)", key, len(calls), offsets(calls), retriedCalls))
			}
		case pipelinePolled:
			key := e.ID + "/" + polledStage
			if calls := rec.Calls[key]; len(calls) != 1 {
				v.CallProblems = append(v.CallProblems, fmt.Sprintf("%s: %d calls at %s, want 1 (the target accepted the first)", key, len(calls), offsets(calls)))
			}
			v.PollProblems = append(v.PollProblems, pollProblems(key, rec.Polls[key])...)
			if n := len(rec.Polls[key]); e.Status == model.ExecutionSucceeded && n < pollsToSuccess {
				v.PollProblems = append(v.PollProblems, pollProblem{key, fmt.Sprintf("succeeded after %d polls; the target answered success only at poll %d", n, pollsToSuccess)})
			}
		}
	}
	for _, key := range slices.Sorted(keysOf(rec.Calls, rec.Polls)) {
		if !known[key] {
			v.Strays = append(v.Strays, fmt.Sprintf("%s: %d calls, %d polls, and no execution listed has this stage", key, len(rec.Calls[key]), len(rec.Polls[key])))
		}
	}
	for _, r := range rec.NoKey {
		v.Strays = append(v.Strays, r+" without an Idempotency-Key header")
	}
	return v
}

// report fails the test for each kind of problem, listing up to 20 of each.
func (v verdict) report(t *testing.T) {
	t.Helper()
	list := func(what string, items []string) {
		if len(items) == 0 {
			return
		}
		shown := items[:min(len(items), 20)]
		more := ""
		if len(items) > len(shown) {
			more = fmt.Sprintf("\n  ... and %d more", len(items)-len(shown))
		}
		t.Errorf("%d %s:\n  %s%s", len(items), what, strings.Join(shown, "\n  "), more)
	}
	stuck := make([]string, len(v.Stuck))
	for i, e := range v.Stuck {
		stuck[i] = describe(e)
	}
	list(fmt.Sprintf("of %d executions still running (want 0: every execution ends)", v.Executions), stuck)
	list("executions ended otherwise than designed", v.WrongEnd)
	list("webhook keys called another number of times than designed (a call per attempt, exactly)", v.CallProblems)
	polls := make([]string, len(v.PollProblems))
	for i, p := range v.PollProblems {
		polls[i] = p.Key + ": " + p.Reason
	}
	list("duplicate polls (want 0: one poll per interval, none after success)", polls)
	list("requests the target could not match to an execution", v.Strays)
}

// keysOf is every key of the maps, once.
func keysOf(maps ...map[string][]time.Time) iter.Seq[string] {
	return func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, m := range maps {
			for k := range m {
				if seen[k] {
					continue
				}
				seen[k] = true
				if !yield(k) {
					return
				}
			}
		}
	}
}
