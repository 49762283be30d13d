package model

import (
	"slices"
	"strings"
)

// StageType names what a stage does. A stage's type is the one block it
// carries (wait:, judgment:, webhook:, deploy:, rollback:, noop:).
type StageType string

const (
	// StageNoop does nothing and succeeds; for tests and benchmarks.
	StageNoop StageType = "noop"
	// StageWait waits for a fixed duration.
	StageWait StageType = "wait"
	// StageJudgment waits until a person approves or rejects it.
	StageJudgment StageType = "judgment"
	// StageWebhook calls an HTTP endpoint and optionally polls a status URL.
	StageWebhook StageType = "webhook"
	// StageDeploy rolls a new version of the application into an environment.
	StageDeploy StageType = "deploy"
	// StageRollback sends traffic back to the previous good server group.
	StageRollback StageType = "rollback"
	// StageSLOGate holds the pipeline while the application's error budget
	// is short or burning fast, until it recovers or an approver overrides.
	StageSLOGate StageType = "sloGate"
)

// OnFailure says what a failed stage does to its execution.
type OnFailure string

const (
	// OnFailureFail fails the execution (the default for non-deploy stages).
	OnFailureFail OnFailure = "fail"
	// OnFailureContinue records the failure and lets dependent stages run.
	OnFailureContinue OnFailure = "continue"
	// OnFailureRollback undoes the stage's deploy, then fails the execution
	// (the default for deploy stages).
	OnFailureRollback OnFailure = "rollback"
)

// StageSpec is one stage of a pipeline as written in config.
type StageSpec struct {
	Name  string   `json:"name"`
	Needs []string `json:"needs,omitempty"`
	// If is a CEL expression over `params` and `stages`; the stage is skipped when false.
	If        string    `json:"if,omitempty"`
	Timeout   Duration  `json:"timeout,omitempty"`
	Retries   int       `json:"retries,omitempty"` // extra attempts after a transient error
	OnFailure OnFailure `json:"onFailure,omitempty"`

	Noop     *NoopStage     `json:"noop,omitempty"`
	Wait     *WaitStage     `json:"wait,omitempty"`
	Judgment *JudgmentStage `json:"judgment,omitempty"`
	Webhook  *WebhookStage  `json:"webhook,omitempty"`
	Deploy   *DeployStage   `json:"deploy,omitempty"`
	Rollback *RollbackStage `json:"rollback,omitempty"`
	SLOGate  *SLOGateStage  `json:"sloGate,omitempty"`
}

// Environment is the one environment a deploy or rollback stage changes (""
// for other stages, and for a deploy in waves, which changes several: ask
// Environments about permissions, leases and "does it touch env").
func (s StageSpec) Environment() string {
	switch {
	case s.Deploy != nil:
		return s.Deploy.Environment
	case s.Rollback != nil:
		return s.Rollback.Environment
	}
	return ""
}

// Environments lists every environment the stage may change: a deploy's or
// rollback's environment, or all of a deploy in waves; nil for other stages.
func (s StageSpec) Environments() []string {
	switch {
	case s.Deploy != nil && len(s.Deploy.Environments) > 0:
		return s.Deploy.Environments
	case s.Environment() != "":
		return []string{s.Environment()}
	}
	return nil
}

// Changes reports whether the stage may change environment env.
func (s StageSpec) Changes(env string) bool {
	return env != "" && slices.Contains(s.Environments(), env)
}

// Type reports the stage's type from the block it carries ("" when none).
func (s StageSpec) Type() StageType {
	switch {
	case s.Noop != nil:
		return StageNoop
	case s.Wait != nil:
		return StageWait
	case s.Judgment != nil:
		return StageJudgment
	case s.Webhook != nil:
		return StageWebhook
	case s.Deploy != nil:
		return StageDeploy
	case s.Rollback != nil:
		return StageRollback
	case s.SLOGate != nil:
		return StageSLOGate
	}
	return ""
}

// EffectiveOnFailure returns the configured policy or the type's default.
func (s StageSpec) EffectiveOnFailure() OnFailure {
	if s.OnFailure != "" {
		return s.OnFailure
	}
	if s.Type() == StageDeploy {
		return OnFailureRollback
	}
	return OnFailureFail
}

// NoopStage succeeds at once. Fail makes it fail instead, for tests.
type NoopStage struct {
	Fail bool `json:"fail,omitempty"`
}

// WaitStage waits for Duration.
type WaitStage struct {
	Duration Duration `json:"duration"`
}

// JudgmentStage waits for a manual approve or reject.
type JudgmentStage struct {
	Instructions string `json:"instructions,omitempty"`
	// Timeout, when set, rejects the judgment after this long without an answer.
	Timeout Duration `json:"timeout,omitempty"`
}

// WebhookStage calls URL once (with a stable Idempotency-Key header) and,
// when StatusURL is set, polls it until a success or failure value appears.
// URL, StatusURL, header values and Body may be secretRefs, resolved at each
// call; inline ones may hold {{params.NAME}}, in URLs only after their
// origin (see URLOrigin).
type WebhookStage struct {
	URL     StringOrSecret            `json:"url"`
	Method  string                    `json:"method,omitempty"` // default POST
	Headers map[string]StringOrSecret `json:"headers,omitempty"`
	Body    StringOrSecret            `json:"body,omitzero"`
	// StatusURL is polled with GET every PollInterval when set.
	StatusURL    StringOrSecret `json:"statusUrl,omitzero"`
	PollInterval Duration       `json:"pollInterval,omitempty"`
	// StatusField is a dotted path into the status JSON, e.g. "status" or "result.state".
	StatusField string `json:"statusField,omitempty"`
	// SuccessValues end the stage successfully when the status field holds
	// one; without them, common words do (success, succeeded, done,
	// completed, ok, true, in lower or upper case).
	SuccessValues []string `json:"successValues,omitempty"`
	// FailureValues fail the stage; without them, failure, failed, error,
	// canceled and false do. Any other value keeps polling.
	FailureValues []string `json:"failureValues,omitempty"`
}

// DeployStage deploys a version of the pipeline's application to an
// environment, or to several in waves (Environments).
type DeployStage struct {
	// Environment is the one environment to deploy to; exactly one of
	// Environment and Environments is set.
	Environment string `json:"environment,omitempty"`
	// Environments deploys to every environment listed, in Waves: the
	// environments of a wave deploy at the same time, each by Strategy with
	// its own health and analysis gates, and a wave starts only when every
	// environment of the one before succeeded. A failure anywhere (with
	// onFailure: rollback, the default) rolls back every environment this
	// stage changed, finished waves included.
	Environments []string `json:"environments,omitempty"`
	// Waves split Environments, in their order, into groups deployed one
	// after another; environments no wave takes form a last wave. Without
	// waves, one environment at a time.
	Waves []Wave `json:"waves,omitempty"`
	// Version to deploy; may reference a parameter as {{params.NAME}}. Defaults to {{params.version}}.
	Version  string   `json:"version,omitempty"`
	Strategy Strategy `json:"strategy"`
	// Env adds environment variables to every instance of this deploy; values
	// may reference parameters as {{params.NAME}}.
	Env map[string]string `json:"env,omitempty"`
}

// Wave is one group of a deploy in waves: Count environments, or Percent of
// all of them (rounded up, at least one), or the Remaining ones. Exactly one
// is set. Pause waits that long after the wave succeeded before the next
// one starts.
type Wave struct {
	Count     int      `json:"count,omitempty"`
	Percent   int      `json:"percent,omitempty"`
	Remaining bool     `json:"remaining,omitempty"`
	Pause     Duration `json:"pause,omitempty"`
}

// InWaves reports whether the deploy goes to several environments in waves.
func (d *DeployStage) InWaves() bool { return d != nil && len(d.Environments) > 0 }

// RollbackStage sends an environment's traffic back to its previous server group.
type RollbackStage struct {
	Environment string `json:"environment"`
}

// URLOrigin returns the scheme and authority of a URL as written, before
// any placeholder is expanded: everything before the path, query or
// fragment, such as "https://ci.example.com:8443". A webhook's URLs may hold
// {{params.NAME}} after it only, so whoever runs a pipeline cannot send its
// calls (and their headers) to another host.
func URLOrigin(raw string) string {
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
		return raw[:start+j]
	}
	return raw
}

// HasPlaceholder reports whether s holds a {{...}} placeholder.
func HasPlaceholder(s string) bool { return strings.Contains(s, "{{") }

// WaveEnvPhase is where one environment of a deploy in waves is.
type WaveEnvPhase string

const (
	// WaveEnvPending: its wave has not started.
	WaveEnvPending WaveEnvPhase = "pending"
	// WaveEnvDeploying: its deploy is under way.
	WaveEnvDeploying WaveEnvPhase = "deploying"
	// WaveEnvSucceeded: its deploy succeeded; it serves the new version.
	WaveEnvSucceeded WaveEnvPhase = "succeeded"
	// WaveEnvFailed: its deploy failed, which stopped the stage; its own
	// deploy undid itself (unless onFailure said to leave it).
	WaveEnvFailed WaveEnvPhase = "failed"
	// WaveEnvReverting: the stage stopped and is rolling this environment
	// back to what it served before.
	WaveEnvReverting WaveEnvPhase = "reverting"
	// WaveEnvReverted: rolled back to what it served before the stage.
	WaveEnvReverted WaveEnvPhase = "reverted"
	// WaveEnvRevertFailed: rolling it back failed; Summary says what to do.
	WaveEnvRevertFailed WaveEnvPhase = "revert_failed"
	// WaveEnvSkipped: the stage stopped before this environment changed.
	WaveEnvSkipped WaveEnvPhase = "skipped"
)

// Active reports whether the environment still needs calls.
func (p WaveEnvPhase) Active() bool { return p == WaveEnvDeploying || p == WaveEnvReverting }

// WaveOutput is what a deploy in waves reports to people and later stages
// (the stage's output): where every wave and environment is.
type WaveOutput struct {
	Summary string `json:"summary"`
	Version string `json:"version,omitempty"`
	// Wave is the wave under way, from 1; Waves how many there are.
	Wave  int `json:"wave"`
	Waves int `json:"waves"`
	// Environments are in the order the stage lists them.
	Environments []WaveEnvOutput `json:"environments"`
}

// WaveEnvOutput is one environment of a deploy in waves.
type WaveEnvOutput struct {
	Name  string       `json:"name"`
	Wave  int          `json:"wave"` // from 1
	Phase WaveEnvPhase `json:"phase"`
	// Summary is the environment's deploy in one line (its step, its
	// failure, its rollback).
	Summary string `json:"summary,omitempty"`
	// ServerGroups are the groups its deploy created, by plan reference.
	ServerGroups map[string]string `json:"serverGroups,omitempty"`
	// Manifests are what a Kubernetes target applied for each server group
	// its deploy started, by server group name.
	Manifests map[string]string `json:"manifests,omitempty"`
}
