// Package stage holds the contract between the engine and the work a stage
// does, and one file per stage type (noop, wait, judgment, webhook, deploy,
// rollback).
//
// A Runner is called by the engine each time a stage should make progress. It
// looks at what the stage has done so far (Input.Stage.State), does at most one
// step of side effects, and returns a Result saying what happened. A runner
// never writes the store: what it wants recorded (server groups, analysis
// records) is data in Result.Writes (writes.go). The engine persists the
// Result and its writes in one transaction together with the next job, so a
// crash between two calls loses nothing: the next call sees the stored state
// and carries on. Runners therefore make every side effect idempotent (stable
// names and idempotency keys), because a call whose Result was not yet stored
// is made again after a restart.
package stage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Runner makes one step of progress on one type of stage.
type Runner interface {
	Run(ctx context.Context, in Input) Result
}

// Input is what a runner knows when it is called.
type Input struct {
	Execution *model.Execution
	Stage     *model.Stage
	Spec      model.StageSpec
	Now       time.Time
	// Canceled is set when the execution was canceled: the runner should undo
	// what it must (a deploy restores traffic) and return Failed.
	Canceled bool
	// Part is, for one environment's deploy inside a deploy in waves, that
	// environment: records that must be told apart per environment (analysis
	// intervals, check Jobs) are kept under RecordName.
	Part string
}

// RecordName is the stage name the stage's analysis records and check
// Jobs are kept under: the stage's, or STAGE/ENVIRONMENT for one
// environment of a deploy in waves.
func (in Input) RecordName() string {
	if in.Part == "" {
		return in.Stage.Name
	}
	return in.Stage.Name + "/" + in.Part
}

// Outcome is what a runner reports about a stage after one call.
type Outcome int

const (
	// Succeeded: the stage is done and worked.
	Succeeded Outcome = iota + 1
	// Failed: the stage is done and did not work; Reason says why.
	Failed
	// Continue: call again at At (zero: at once) with the new State.
	Continue
	// WaitForPerson: the stage waits for an approve or reject, or until At if set.
	WaitForPerson
	// Transient: a temporary error; the engine retries with backoff while the stage has retries left.
	Transient
)

// Result is a runner's report of one call.
type Result struct {
	Outcome Outcome
	Reason  string
	// State, when non-nil, replaces the stage's stored progress.
	State json.RawMessage
	// Output, when non-nil, replaces the stage's output.
	Output json.RawMessage
	// At is when to call again (Continue) or stop waiting (WaitForPerson).
	At time.Time
	// ClearJudgment removes a consumed judgment, so a later pause waits anew.
	ClearJudgment bool
	// Events are appended to the delivery log in the same transaction.
	Events []model.Event
	// Writes are the store changes the call asks for (server groups,
	// analysis records), committed by the engine in order, in the same
	// transaction as the result. A write that fails with store.ErrConflict
	// makes the engine drop the result and run the step again with the
	// stage's state unchanged. So a runner records its intent first and acts
	// on a later call: to create a server group, call 1 allocates the name
	// and returns ServerGroupInsert (status creating) with the name in its
	// state; call 2 asks the target to start it and returns the update to up.
	Writes []Write
}

// Succeed reports success with an optional output value (marshalled to JSON).
func Succeed(output any) Result {
	return Result{Outcome: Succeeded, Output: mustJSON(output)}
}

// Failf reports failure with a reason a person can act on.
func Failf(format string, args ...any) Result {
	return Result{Outcome: Failed, Reason: fmt.Sprintf(format, args...)}
}

// Again asks to be called again at at (zero: at once) with the given state.
func Again(at time.Time, state any) Result {
	return Result{Outcome: Continue, At: at, State: mustJSON(state)}
}

// Retry reports a transient error.
func Retry(err error) Result {
	return Result{Outcome: Transient, Reason: err.Error()}
}

// WithEvents adds delivery events to a result.
func (r Result) WithEvents(evs ...model.Event) Result {
	r.Events = append(r.Events, evs...)
	return r
}

// WithWrites adds store changes to a result.
func (r Result) WithWrites(ws ...Write) Result {
	r.Writes = append(r.Writes, ws...)
	return r
}

// WithState sets the state a result stores.
func (r Result) WithState(state any) Result {
	r.State = mustJSON(state)
	return r
}

// DecodeState reads the stage's stored progress into v; an empty state leaves v as is.
func DecodeState(in Input, v any) error {
	if len(in.Stage.State) == 0 || string(in.Stage.State) == "null" {
		return nil
	}
	if err := json.Unmarshal(in.Stage.State, v); err != nil {
		return fmt.Errorf("stage %q: stored state is unreadable (%v): cancel the execution and run it again", in.Stage.Name, err)
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own state structs reach here; a failure is a programming error.
		panic(fmt.Sprintf("stage: cannot encode %T: %v", v, err))
	}
	return b
}
