package notify

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// maxReason bounds the reason a message carries: the short form, never a
// judge's full record (the link leads to that).
const maxReason = 280

// Message is what every target says about one delivery: a one-line
// summary, the short reason, and a link to the detail in the UI.
type Message struct {
	// ID is the delivery's ID, which the receiver sees.
	ID           string            `json:"id"`
	Event        model.NotifyEvent `json:"event"`
	Notification string            `json:"notification"`
	Application  string            `json:"application,omitempty"`
	Pipeline     string            `json:"pipeline,omitempty"`
	Execution    string            `json:"execution,omitempty"`
	Stage        string            `json:"stage,omitempty"`
	// Status is the execution's status on execution.* events, the verdict
	// (passed, failed, inconclusive) on canary.verdict, firing or resolved
	// on slo_alert.
	Status      string `json:"status,omitempty"`
	Version     string `json:"version,omitempty"`
	FromVersion string `json:"fromVersion,omitempty"`
	Environment string `json:"environment,omitempty"`
	Actor       string `json:"actor,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// Summary is the one line a person reads first, such as
	// "cart prod: release 1.4.2 failed".
	Summary string    `json:"summary"`
	URL     string    `json:"url,omitempty"`
	Time    time.Time `json:"time"`
	// Digest is the weekly KPI digest's content (on kpi_digest only).
	Digest *Digest `json:"digest,omitempty"`
}

// Compose builds the message of delivery d; baseURL is how people reach
// the UI (no trailing slash).
func Compose(d store.Delivery, baseURL string) Message {
	ev := d.Event
	kind, _ := Classify(ev)
	m := Message{
		ID: d.ID, Event: kind, Notification: d.Notification, Application: ev.Application, Pipeline: d.Pipeline,
		Execution: ev.ExecutionID, Stage: ev.Stage, Version: ev.Version, FromVersion: ev.FromVersion,
		Environment: ev.Environment, Actor: ev.Actor, Time: ev.Time.UTC(), URL: link(baseURL, kind, ev),
	}
	what := d.Pipeline
	if what == "" {
		what = "pipeline"
	}
	if m.Version != "" {
		what += " " + m.Version
	}
	switch kind {
	case model.NotifyExecutionStarted:
		m.Status = string(model.ExecutionRunning)
		m.Summary = what + " started"
		if m.Actor != "" {
			m.Summary += " by " + m.Actor
		}
	case model.NotifyExecutionSucceeded, model.NotifyExecutionFailed, model.NotifyExecutionCanceled:
		status, reason := finishedStatus(ev.Detail)
		m.Status, m.Reason = string(status), short(reason)
		m.Summary = what + " " + string(status)
	case model.NotifyJudgmentWaiting:
		m.Status, m.Reason = string(model.StageWaiting), short(ev.Detail)
		m.Summary = what + " waits for a judgment at stage " + ev.Stage
	case model.NotifyCanaryVerdict:
		m.Status, m.Reason = ev.Action, short(ev.Detail)
		m.Summary = "canary of " + orDash(m.Version) + " " + ev.Action
	case model.NotifyDeploySucceeded:
		m.Summary = "deployed " + orDash(m.Version)
	case model.NotifyDeployFailed:
		m.Reason = short(ev.Detail)
		m.Summary = "deploy of " + orDash(m.Version) + " failed"
	case model.NotifyRollback:
		m.Reason = short(ev.Detail)
		m.Summary = "rolled back to " + orDash(m.Version)
		if m.FromVersion != "" {
			m.Summary += " from " + m.FromVersion
		}
		if strings.HasPrefix(ev.Detail, "automatic") {
			m.Summary += " automatically"
		} else if m.Actor != "" {
			m.Summary += " by " + m.Actor
		}
	case model.NotifySLOAlert:
		m.Status, m.Reason = "firing", short(ev.Detail)
		if ev.Kind == model.EventSLOAlertResolved {
			m.Status = "resolved"
		}
		m.Summary = "SLO " + ev.Ref + " alert " + orDash(ev.Action) + " " + m.Status
	default:
		m.Summary = string(ev.Kind)
	}
	if where := strings.TrimSpace(m.Application + " " + m.Environment); where != "" {
		m.Summary = where + ": " + m.Summary
	}
	return m
}

// link is the UI page with the detail of an event: the stage that waits,
// the canary analysis, the execution, or the application.
func link(base string, kind model.NotifyEvent, ev model.Event) string {
	if base == "" {
		return ""
	}
	switch {
	case ev.ExecutionID == "" && ev.Application != "":
		return base + "/applications/" + url.PathEscape(ev.Application)
	case ev.ExecutionID == "":
		return base + "/events"
	case kind == model.NotifyCanaryVerdict:
		return base + "/executions/" + url.PathEscape(ev.ExecutionID) + "/analysis"
	case ev.Stage != "" && (kind == model.NotifyJudgmentWaiting || kind == model.NotifyDeployFailed):
		return base + "/executions/" + url.PathEscape(ev.ExecutionID) + "#stage-" + url.PathEscape(ev.Stage)
	}
	return base + "/executions/" + url.PathEscape(ev.ExecutionID)
}

// short is a reason's first line, cut to maxReason characters.
func short(reason string) string {
	reason, _, _ = strings.Cut(strings.TrimSpace(reason), "\n")
	if utf8.RuneCountInString(reason) <= maxReason {
		return reason
	}
	r := []rune(reason)
	return string(r[:maxReason-1]) + "…"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Subject is an email subject: "[gennaker] cart prod: release 1.4.2 failed".
func (m Message) Subject() string { return fmt.Sprintf("[gennaker] %s", m.Summary) }
