package auth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// A manual judgment gates the stages after it: they cannot start until a
// person approves it, because a rejected (or timed-out) judgment fails the
// execution and every pending stage is then skipped. Two kinds of judgment
// do not gate: one with an `if` condition (a false condition skips it, and a
// skipped stage lets the stages after it run) and one with onFailure
// continue (its rejection lets them run too).
func gates(s model.StageSpec) bool {
	return s.Judgment != nil && s.If == "" && s.EffectiveOnFailure() != model.OnFailureContinue
}

// RunEnvironments returns the environments a run of pl deploys to or rolls
// back in without a gating judgment before it, sorted. Running the pipeline
// needs the deploy permission there; deploys behind a judgment are
// authorized by whoever approves it.
func RunEnvironments(pl model.Pipeline) []string {
	needs := pl.StageNeeds()
	var envs []string
	for _, s := range pl.Stages {
		if gatedByJudgment(pl, needs, s.Name) {
			continue
		}
		for _, env := range s.Environments() {
			if !slices.Contains(envs, env) {
				envs = append(envs, env)
			}
		}
	}
	slices.Sort(envs)
	return envs
}

// DeployEnvironments returns every environment pl deploys to or rolls back in, sorted.
func DeployEnvironments(pl model.Pipeline) []string {
	var envs []string
	for _, s := range pl.Stages {
		for _, env := range s.Environments() {
			if !slices.Contains(envs, env) {
				envs = append(envs, env)
			}
		}
	}
	slices.Sort(envs)
	return envs
}

// ApprovalEnvironments returns the environments that approving stage of pl
// lets a deploy go on in: a deploy stage's own environment (the approval
// ends its canary's pause), or for a judgment the environments of every
// deploy and rollback stage that runs after it (and, for a sloGate, the
// environment it guards). Sorted; empty when the
// approval opens the way to no deploy.
func ApprovalEnvironments(pl model.Pipeline, stage string) []string {
	spec, ok := pl.Stage(stage)
	if !ok {
		return nil
	}
	if envs := spec.Environments(); len(envs) > 0 {
		return slices.Sorted(slices.Values(envs))
	}
	needs := pl.StageNeeds()
	var envs []string
	if spec.SLOGate != nil && spec.SLOGate.Environment != "" {
		// Overriding an error-budget gate is a decision about the
		// environment it guards.
		envs = append(envs, spec.SLOGate.Environment)
	}
	for _, s := range pl.Stages {
		if !dependsOn(needs, s.Name, stage) {
			continue
		}
		for _, env := range s.Environments() {
			if !slices.Contains(envs, env) {
				envs = append(envs, env)
			}
		}
	}
	slices.Sort(envs)
	return envs
}

// gatedByJudgment reports whether some gating judgment comes before stage.
func gatedByJudgment(pl model.Pipeline, needs map[string][]string, stage string) bool {
	for _, s := range pl.Stages {
		if gates(s) && dependsOn(needs, stage, s.Name) {
			return true
		}
	}
	return false
}

// dependsOn reports whether stage waits, directly or through others, for ancestor.
func dependsOn(needs map[string][]string, stage, ancestor string) bool {
	seen := map[string]bool{}
	stack := append([]string(nil), needs[stage]...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == ancestor {
			return true
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, needs[n]...)
	}
	return false
}

// FourEyes returns an error when approver may not approve stage of exec
// because one of the environments the approval opens (see
// ApprovalEnvironments) requires a second person and the approver is the
// one who started the execution: the same identity, or an identity the same
// person answers for (a token they own). fourEyes reports whether an
// environment requires it.
func FourEyes(exec *model.Execution, stage string, approver Principal, fourEyes func(env string) bool) error {
	if !samePerson(exec.Trigger, approver) {
		return nil
	}
	var strict []string
	for _, env := range ApprovalEnvironments(exec.Spec, stage) {
		if fourEyes(env) {
			strict = append(strict, env)
		}
	}
	if len(strict) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s started execution %s (as %s) and may not also approve stage %q: environment %s requires a second person (fourEyes): ask another approver, or reject or cancel it yourself",
		ErrForbidden, approver.Owner(), exec.ID, exec.Trigger.Actor, stage, strings.Join(strict, ", "))
}

// samePerson reports whether the approver is, or answers for, who started
// the execution.
func samePerson(t model.Trigger, approver Principal) bool {
	started := []string{t.Actor, t.Owner}
	for _, s := range started {
		for _, a := range []string{approver.Actor(), approver.Owner()} {
			if s != "" && SameName(s, a) {
				return true
			}
		}
	}
	return false
}

// SameName compares two subjects as people write them: emails without
// regard to the case of ASCII letters (only ASCII, so no Unicode look-alike
// such as the Kelvin sign folds onto a letter).
func SameName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
