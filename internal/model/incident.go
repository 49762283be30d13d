package model

import "time"

// Incident is a period when an application misbehaved in an environment,
// opened by Alertmanager (a firing alert) or by a person through the
// incident API, and resolved when the alert stops firing or somebody says
// so. An incident that starts soon after a production deploy of its
// application and environment counts that deploy as a change failure
// (docs/kpis.md, "Incidents").
type Incident struct {
	// ID is gennaker's: "am-" and the Alertmanager fingerprint and start for
	// alerts, "inc-" and a random suffix for the API, or the caller's own
	// key (the API's Idempotency-Key), so a resent alert is one incident.
	ID          string `json:"id"`
	Application string `json:"application"`
	Environment string `json:"environment"`
	Title       string `json:"title"`
	// Source is "alertmanager" or "api".
	Source     string     `json:"source"`
	StartedAt  time.Time  `json:"startedAt"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
	// OpenedBy is the principal that recorded it (a token's name, a user).
	OpenedBy string `json:"openedBy,omitempty"`
	// URL links to where the incident is tracked (Alertmanager's
	// generatorURL, a pager's incident page).
	URL string `json:"url,omitempty"`
	// Labels are the alert's labels (capped), for people reading it.
	Labels map[string]string `json:"labels,omitempty"`
	// ResolvedBy is the principal that recorded the resolution.
	ResolvedBy string `json:"resolvedBy,omitempty"`
	// RecordedAt is when gennaker stored it (StartedAt may be earlier).
	RecordedAt time.Time `json:"recordedAt"`
}

// Incident sources (Incident.Source, and the Action of its events).
const (
	// IncidentSourceAlertmanager: opened and resolved by Alertmanager's webhook.
	IncidentSourceAlertmanager = "alertmanager"
	// IncidentSourceAPI: opened through the incident API or the CLI.
	IncidentSourceAPI = "api"
)

// Open reports whether the incident has not been resolved.
func (i Incident) Open() bool { return i.ResolvedAt == nil }
