// Package eval is the SLO evaluator: every interval, on the one replica
// that holds the evaluator's lease, it counts each configured SLO's SLI
// over its window and over its alert windows (through the Source of the
// SLI's metric source), decides the budget, the burn rates and the
// alerts with package slo's pure functions, and stores what it decided:
// the SLO's status, a history point every PointEvery, and an event in the
// delivery log when an alert starts or stops firing (which the notifier
// tells the Notifications that want slo_alert).
package eval
