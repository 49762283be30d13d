package model

import "slices"

// KindNotification says whom to tell about deliveries, and how.
const KindNotification = "Notification"

// NotifyEvent names an event a Notification can be sent on.
type NotifyEvent string

const (
	// NotifyExecutionStarted: a pipeline execution began.
	NotifyExecutionStarted NotifyEvent = "execution.started"
	// NotifyExecutionSucceeded: an execution ended and succeeded.
	NotifyExecutionSucceeded NotifyEvent = "execution.succeeded"
	// NotifyExecutionFailed: an execution ended and failed; the reason is the short form.
	NotifyExecutionFailed NotifyEvent = "execution.failed"
	// NotifyExecutionCanceled: an execution was canceled.
	NotifyExecutionCanceled NotifyEvent = "execution.canceled"
	// NotifyJudgmentWaiting: a stage waits for a person to approve or reject.
	NotifyJudgmentWaiting NotifyEvent = "judgment.waiting"
	// NotifyCanaryVerdict: a canary analysis reached its verdict (passed,
	// failed or inconclusive), with the top reason.
	NotifyCanaryVerdict NotifyEvent = "canary.verdict"
	// NotifyDeploySucceeded: a version took all traffic in an environment.
	NotifyDeploySucceeded NotifyEvent = "deploy.succeeded"
	// NotifyDeployFailed: a deploy did not complete.
	NotifyDeployFailed NotifyEvent = "deploy.failed"
	// NotifyRollback: traffic went back to an earlier version, automatically
	// or by hand.
	NotifyRollback NotifyEvent = "rollback"
	// NotifyKPIDigest: once a week, a summary of the last 7 days' delivery
	// KPIs against the 7 before, for the notification's applications
	// (docs/notifications.md, "Weekly KPI digest"). Sent only to
	// notifications that name it: leaving on out does not send it.
	NotifyKPIDigest NotifyEvent = "kpi_digest"
	// NotifySLOAlert: an SLO's burn-rate alert started or stopped firing
	// (Status firing or resolved), with the burn rates as the reason.
	NotifySLOAlert NotifyEvent = "slo_alert"
)

// NotifyEvents lists every event a Notification can name, in the order docs show them.
var NotifyEvents = []NotifyEvent{
	NotifyExecutionStarted, NotifyExecutionSucceeded, NotifyExecutionFailed, NotifyExecutionCanceled,
	NotifyJudgmentWaiting, NotifyCanaryVerdict, NotifyDeploySucceeded, NotifyDeployFailed, NotifyRollback,
	NotifyKPIDigest, NotifySLOAlert,
}

// Valid reports whether e is one of NotifyEvents.
func (e NotifyEvent) Valid() bool { return slices.Contains(NotifyEvents, e) }

// Notification sends a short message about the events it names, for the
// applications, pipelines and environments it selects, to one target.
// Exactly one of Slack, Teams, Webhook, Email and CDEvents is set.
type Notification struct {
	Name string `json:"name"`
	// Applications, Pipelines and Environments select the events: empty
	// means every one.
	Applications []string `json:"applications,omitempty"`
	Pipelines    []string `json:"pipelines,omitempty"`
	Environments []string `json:"environments,omitempty"`
	// On lists the events to send; empty means every event of the log
	// (the weekly NotifyKPIDigest only when named).
	On []NotifyEvent `json:"on,omitempty"`

	Slack    *SlackTarget    `json:"slack,omitempty"`
	Teams    *TeamsTarget    `json:"teams,omitempty"`
	Webhook  *WebhookTarget  `json:"webhook,omitempty"`
	Email    *EmailTarget    `json:"email,omitempty"`
	CDEvents *CDEventsTarget `json:"cdevents,omitempty"`
}

// NotifyTargetType names the kind of a Notification's target.
type NotifyTargetType string

const (
	// TargetSlack: a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat).
	TargetSlack NotifyTargetType = "slack"
	// TargetTeams: a Microsoft Teams incoming webhook.
	TargetTeams NotifyTargetType = "teams"
	// TargetWebhook: a generic JSON webhook, HMAC-signed.
	TargetWebhook NotifyTargetType = "webhook"
	// TargetEmail: email over SMTP.
	TargetEmail NotifyTargetType = "email"
	// TargetCDEvents: CDEvents (CloudEvents) to an HTTP sink.
	TargetCDEvents NotifyTargetType = "cdevents"
)

// TargetType says which target is set ("" when none is).
func (n Notification) TargetType() NotifyTargetType {
	switch {
	case n.Slack != nil:
		return TargetSlack
	case n.Teams != nil:
		return TargetTeams
	case n.Webhook != nil:
		return TargetWebhook
	case n.Email != nil:
		return TargetEmail
	case n.CDEvents != nil:
		return TargetCDEvents
	}
	return ""
}

// Wants reports whether the notification sends event ev about a delivery
// of application app by pipeline pipeline into environment env ("" when the
// event has none: a selector on it then does not exclude the event).
func (n Notification) Wants(ev NotifyEvent, app, pipeline, env string) bool {
	if (len(n.On) > 0 || ev == NotifyKPIDigest) && !slices.Contains(n.On, ev) {
		return false
	}
	match := func(sel []string, v string) bool { return len(sel) == 0 || v == "" || slices.Contains(sel, v) }
	return match(n.Applications, app) && match(n.Pipelines, pipeline) && match(n.Environments, env)
}

// SlackTarget posts Block Kit messages to a Slack-compatible incoming
// webhook. The URL carries its credential: it must be a secretRef.
type SlackTarget struct {
	URL StringOrSecret `json:"url"`
}

// TeamsTarget posts a message card to a Microsoft Teams incoming webhook.
// The URL carries its credential: it must be a secretRef.
type TeamsTarget struct {
	URL StringOrSecret `json:"url"`
}

// WebhookTarget posts a JSON document to any URL, signed with an
// HMAC-SHA256 of the body in X-Gennaker-Signature when Secret is set.
type WebhookTarget struct {
	URL     StringOrSecret            `json:"url"`
	Secret  StringOrSecret            `json:"secret,omitzero"`
	Headers map[string]StringOrSecret `json:"headers,omitempty"`
}

// StartTLS policies of an email target.
const (
	// StartTLSRequired refuses to send unless the server offers STARTTLS (the default).
	StartTLSRequired = "required"
	// StartTLSOpportunistic uses STARTTLS when offered and sends in clear
	// otherwise, but never sends credentials in clear.
	StartTLSOpportunistic = "opportunistic"
	// StartTLSNever sends in clear (a relay on localhost, a test server);
	// credentials are then sent in clear too.
	StartTLSNever = "never"
)

// EmailTarget sends plain-text email over SMTP.
type EmailTarget struct {
	// SMTP is the server's host:port.
	SMTP     string         `json:"smtp"`
	From     string         `json:"from"`
	To       []string       `json:"to"`
	Username StringOrSecret `json:"username,omitzero"`
	Password StringOrSecret `json:"password,omitzero"`
	// StartTLS is required (default), opportunistic or never.
	StartTLS string `json:"starttls,omitempty"`
}

// CDEventsTarget posts CDEvents as CloudEvents 1.0 structured JSON to an HTTP sink.
type CDEventsTarget struct {
	URL     StringOrSecret            `json:"url"`
	Headers map[string]StringOrSecret `json:"headers,omitempty"`
}
