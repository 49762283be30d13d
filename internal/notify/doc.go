// Package notify tells people and tools about deliveries: it turns the
// engine's append-only event log into short messages for the targets that
// Notification config objects name (Slack-compatible webhooks, Microsoft
// Teams, a signed JSON webhook, email over SMTP, CDEvents).
//
// Delivery is durable through the notification outbox in the store: the
// Dispatcher reads events after its cursor and, in one transaction, inserts
// one delivery per (event, notification) under a deterministic ID and moves
// the cursor; the Worker claims due deliveries, sends each with a timeout,
// and records it sent, failed (retried with exponential backoff) or dead.
// Sending never happens in a pipeline's transaction, so a failing target
// never blocks or fails a pipeline. The guarantee is at least once with a
// stable ID: a crash between a send and its record sends the message again
// under the same ID (X-Gennaker-Delivery, the CloudEvents id, the email's
// Message-ID), which the receiver may use to drop the repeat.
//
//	event log ──► Dispatcher ──► notify_delivery ──► Worker ──► target
//	              (cursor, one tx)   (pending/sent/dead)   (claim, send, finish)
package notify
