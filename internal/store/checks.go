package store

import (
	"errors"
	"fmt"
)

// Checks every store makes the same way before a guarded write, and the
// error it returns when the guard does not hold.

// Check names the transition for errors and refuses one that guards
// nothing (no From).
func (p ExecutionSetStatusParams) Check() (what string, err error) {
	what = fmt.Sprintf("set execution %s to %s", p.ID, p.To)
	if len(p.From) == 0 {
		return what, fmt.Errorf("%s: From is empty: name the statuses the execution may move from", what)
	}
	return what, nil
}

// Check names the write for errors and refuses one without a From.
func (p ExecutionReopenParams) Check() (what string, err error) {
	what = fmt.Sprintf("reopen execution %s", p.ID)
	if len(p.From) == 0 {
		return what, fmt.Errorf("%s: From is empty: name the statuses the execution may be reopened from", what)
	}
	return what, nil
}

// Check names the write for errors and refuses one without a stage or a
// From.
func (p StageUpdateParams) Check() (what string, err error) {
	st := p.Stage
	if st == nil {
		return "update stage", errors.New("update stage: params.Stage is nil: pass the stage as read, with its changes")
	}
	what = fmt.Sprintf("update stage %q of execution %s to %s", st.Name, st.ExecutionID, st.Status)
	if len(p.From) == 0 {
		return what, fmt.Errorf("%s: From is empty: name the statuses the stage may move from", what)
	}
	return what, nil
}

// Check refuses a claim that names no claimant.
func (p StageClaimParams) Check() error {
	if p.Claimant == "" {
		return fmt.Errorf("claim stage %q of execution %s: Claimant is empty: name the worker", p.Stage, p.ExecutionID)
	}
	return nil
}

// GuardConflict is the error of a guarded write whose row exists but is in
// state instead of the expected one.
func GuardConflict(what, state, expected string) error {
	return fmt.Errorf("%s: it is %s, expected %s (someone else moved it on; reload it and decide again): %w",
		what, state, expected, ErrConflict)
}
