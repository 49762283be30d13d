// Package incident records incidents: periods when an application
// misbehaved in an environment, opened by Alertmanager's webhook or the
// incident API and resolved when the alert stops or somebody says so
// (docs/kpis.md, "Incidents"). Each write is one store transaction that
// stores the incident row and appends its event to the delivery log
// (incident_opened, incident_resolved), with the audit entry of the
// request, so a replay (an Alertmanager resend, an Idempotency-Key) writes
// nothing a second time. Which deploy an incident counts against is the
// KPI projector's business, not this package's.
//
// The checks of a request (Validate, ValidateResolve) and the mapping of an
// Alertmanager webhook to requests (package-level FromAlertmanager) are
// pure functions; Service is the thin adapter over the store.
package incident
