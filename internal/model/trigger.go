package model

// TriggerSpec is one entry of a pipeline's `triggers:` list: something that
// starts the pipeline by itself. Exactly one of the source blocks is set.
//
// Every source produces an input that When and Params read as CEL:
//   - webhook:  payload (the JSON body), headers (map, lower-case names), hook
//   - registry: repository, tag, digest
//   - git:      repository, branch, commit, commitTime (RFC 3339), author, message
//   - schedule: tick (RFC 3339, in the schedule's time zone), cron
//   - pipeline: execution (map: id, application, pipeline, status, version,
//     params, trigger)
type TriggerSpec struct {
	// Name is unique within its pipeline; with the pipeline's application
	// and name it identifies the trigger (TriggerKey).
	Name string `json:"name"`
	// Paused keeps the trigger from starting anything (also pausable at
	// run time, `gennaker triggers pause`).
	Paused bool `json:"paused,omitempty"`

	Webhook  *WebhookTrigger  `json:"webhook,omitempty"`
	Registry *RegistryTrigger `json:"registry,omitempty"`
	Git      *GitTrigger      `json:"git,omitempty"`
	Schedule *ScheduleTrigger `json:"schedule,omitempty"`
	Pipeline *PipelineTrigger `json:"pipeline,omitempty"`

	// When lists CEL conditions over the input; all must be true for the
	// trigger to start the pipeline (e.g. `payload.ref == "refs/heads/main"`).
	When []string `json:"when,omitempty"`
	// Params maps a pipeline parameter to a CEL expression over the input,
	// e.g. version: `payload.after.substring(0, 12)`. The result is turned
	// into a string. Each source has defaults (registry: version = tag; git:
	// version = first 12 of commit, commit; pipeline: the upstream
	// execution's params) that Params overrides.
	Params map[string]string `json:"params,omitempty"`
}

// WebhookTrigger is started by a signed POST to /api/v1/hooks/{hook}.
type WebhookTrigger struct {
	// Hook is the last part of the URL; several triggers may share one
	// hook (each checks the signature with its own secret). Default: the
	// trigger's name.
	Hook string `json:"hook,omitempty"`
	// Provider says how a delivery is signed and identified:
	// github (X-Hub-Signature-256, X-GitHub-Delivery), gitlab
	// (X-Gitlab-Token, Idempotency-Key else X-Gitlab-Event-UUID) or hmac (a hex sha256 HMAC of
	// the raw body in Header, the delivery ID in X-Gennaker-Delivery).
	Provider string `json:"provider"`
	// Secret is the shared secret, always by reference.
	Secret StringOrSecret `json:"secret"`
	// Header overrides the signature header of provider hmac
	// (default X-Gennaker-Signature).
	Header string `json:"header,omitempty"`
}

// RegistryTrigger watches an OCI repository for new tags.
type RegistryTrigger struct {
	// Repository is the image repository, e.g. ghcr.io/acme/cart.
	Repository string `json:"repository"`
	// Tag is a regular expression a new tag must match (whole tag).
	Tag string `json:"tag,omitempty"`
	// Semver is a constraint a new tag must meet (e.g. ^1.4, >=2.0 <3).
	Semver string `json:"semver,omitempty"`
	// Interval between looks (default 1m).
	Interval Duration `json:"interval,omitempty"`
	// Username and Password log in to the registry (by reference).
	Username *StringOrSecret `json:"username,omitempty"`
	Password *StringOrSecret `json:"password,omitempty"`
	// Insecure talks plain HTTP (a registry on a laptop or in a test).
	Insecure bool `json:"insecure,omitempty"`
}

// GitTrigger watches a branch of a git repository for new commits.
type GitTrigger struct {
	// Repository is the clone URL (https:// or http://).
	Repository string `json:"repository"`
	// Branch to watch (default main).
	Branch string `json:"branch,omitempty"`
	// Interval between looks (default 1m).
	Interval Duration        `json:"interval,omitempty"`
	Username *StringOrSecret `json:"username,omitempty"`
	Password *StringOrSecret `json:"password,omitempty"`
}

// ScheduleTrigger starts the pipeline on a cron schedule.
type ScheduleTrigger struct {
	// Cron is a five-field cron expression (or @hourly, @daily, ...).
	Cron string `json:"cron"`
	// TimeZone is an IANA zone name (default UTC).
	TimeZone string `json:"timeZone,omitempty"`
	// Missed says what happens to ticks that passed while no server ran:
	// skip them (default) or runOnce (one run for all of them).
	Missed string `json:"missed,omitempty"`
}

// PipelineTrigger starts the pipeline when another one ends.
type PipelineTrigger struct {
	// Application of the upstream pipeline (default: this pipeline's).
	Application string `json:"application,omitempty"`
	// Pipeline is the upstream pipeline's name.
	Pipeline string `json:"pipeline"`
	// Status lists the upstream endings that start this pipeline
	// (default [succeeded]).
	Status []ExecutionStatus `json:"status,omitempty"`
}

// Type names the trigger's source block ("" when none or several are set).
func (t TriggerSpec) Type() string {
	typ, n := "", 0
	for name, set := range map[string]bool{
		"webhook": t.Webhook != nil, "registry": t.Registry != nil, "git": t.Git != nil,
		"schedule": t.Schedule != nil, "pipeline": t.Pipeline != nil,
	} {
		if set {
			typ, n = name, n+1
		}
	}
	if n != 1 {
		return ""
	}
	return typ
}

// TriggerKey identifies a trigger across the whole config:
// APPLICATION/PIPELINE/TRIGGER.
func TriggerKey(application, pipeline, trigger string) string {
	return application + "/" + pipeline + "/" + trigger
}
