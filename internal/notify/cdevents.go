package notify

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// CDEventsVersion is the CDEvents specification the events follow.
const CDEventsVersion = "0.4.1"

// CDEvents types (spec v0.4) gennaker sends.
const (
	CDPipelineRunStarted  = "dev.cdevents.pipelinerun.started.0.2.0"
	CDPipelineRunFinished = "dev.cdevents.pipelinerun.finished.0.2.0"
	CDServiceDeployed     = "dev.cdevents.service.deployed.0.2.0"
	CDServiceRolledBack   = "dev.cdevents.service.rolledback.0.2.0"
)

// CDEventType is the CDEvents type of a notification event, and false
// when CDEvents has none (a judgment, a canary verdict, a failed deploy:
// the pipeline run's finished event tells those).
func CDEventType(ev model.NotifyEvent) (string, bool) {
	switch ev {
	case model.NotifyExecutionStarted:
		return CDPipelineRunStarted, true
	case model.NotifyExecutionSucceeded, model.NotifyExecutionFailed, model.NotifyExecutionCanceled:
		return CDPipelineRunFinished, true
	case model.NotifyDeploySucceeded:
		return CDServiceDeployed, true
	case model.NotifyRollback:
		return CDServiceRolledBack, true
	}
	return "", false
}

// cdeventsTarget posts CloudEvents 1.0 in structured mode whose data is
// the CDEvent.
type cdeventsTarget struct {
	t    *Targets
	spec model.CDEventsTarget
}

func (c *cdeventsTarget) Send(ctx context.Context, m Message) error {
	sink, err := c.t.value(ctx, c.spec.URL, "the CDEvents sink URL")
	if err != nil {
		return err
	}
	ce, ok := CloudEvent(m, c.t.source())
	if !ok {
		return nil // the dispatcher never plans these; nothing to say
	}
	body, err := json.Marshal(ce)
	if err != nil {
		return permanent(err)
	}
	headers := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(c.spec.Headers)) {
		v, err := c.t.value(ctx, c.spec.Headers[k], "header "+k)
		if err != nil {
			return err
		}
		headers[k] = v
	}
	headers["Content-Type"] = "application/cloudevents+json"
	headers[HeaderDelivery] = m.ID
	return c.t.post(ctx, sink, body, headers)
}

func (t *Targets) source() string {
	if t.Host != "" {
		return t.Host
	}
	return "gennaker"
}

// CloudEvent is the structured-mode CloudEvent of m: its id is the
// delivery's, its data the CDEvent (context and subject).
func CloudEvent(m Message, source string) (map[string]any, bool) {
	typ, ok := CDEventType(m.Event)
	if !ok {
		return nil, false
	}
	ts := m.Time.UTC().Format(time.RFC3339Nano)
	var subject map[string]any
	switch typ {
	case CDPipelineRunStarted, CDPipelineRunFinished:
		content := map[string]any{"pipelineName": m.Pipeline}
		if m.URL != "" {
			content["url"] = m.URL
		}
		if typ == CDPipelineRunFinished {
			content["outcome"] = "success"
			if m.Event != model.NotifyExecutionSucceeded {
				content["outcome"] = "failure"
				content["errors"] = m.Status + ": " + m.Reason
				if m.Reason == "" {
					content["errors"] = m.Status
				}
			}
		}
		subject = map[string]any{"id": m.Execution, "source": source, "type": "pipelineRun", "content": content}
	default:
		subject = map[string]any{"id": m.Application + "/" + m.Environment, "source": source, "type": "service", "content": map[string]any{
			"environment": map[string]any{"id": m.Environment, "source": source},
			"artifactId":  "pkg:generic/" + url.PathEscape(m.Application) + "@" + url.PathEscape(m.Version),
		}}
	}
	data := map[string]any{
		"context": map[string]any{"version": CDEventsVersion, "id": m.ID, "source": source, "type": typ, "timestamp": ts},
		"subject": subject,
	}
	return map[string]any{
		"specversion": "1.0", "id": m.ID, "source": source, "type": typ, "subject": subject["id"],
		"time": ts, "datacontenttype": "application/json", "data": data,
	}, true
}
