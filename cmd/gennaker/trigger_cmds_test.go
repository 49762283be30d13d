package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/trigger"
)

func TestPrintExecutionShowsItsTrigger(t *testing.T) {
	var buf bytes.Buffer
	printExecution(&buf, &model.Execution{ID: "e1", Pipeline: "ship", Application: "checkout", Status: model.ExecutionRunning, CreatedAt: time.Now(),
		Trigger: model.Trigger{Kind: "webhook", Actor: "trigger:checkout/ship/push", Name: "checkout/ship/push", DeliveryID: "d-1",
			CommitSHA: "abc123", Payload: json.RawMessage(`{"ref":"refs/heads/main"}`)}})
	out := buf.String()
	for _, w := range []string{"Trigger    webhook by trigger:checkout/ship/push, commit abc123", "trigger checkout/ship/push, delivery d-1",
		`Payload    {"ref":"refs/heads/main"}`} {
		if !strings.Contains(out, w) {
			t.Errorf("execution output lacks %q:\n%s", w, out)
		}
	}
}

func TestPrintTriggersAndDryRun(t *testing.T) {
	fired := time.Now().Add(-time.Hour)
	var buf bytes.Buffer
	printTriggers(&buf, []trigger.Status{
		{Key: "checkout/ship/push", Type: "webhook", HookURL: "https://gk.example.com/api/v1/hooks/push", LastFiredAt: &fired},
		{Key: "checkout/ship/tags", Type: "registry", Paused: true, PausedBy: "ada@example.com", LastError: "param version: bad"},
		{Key: "checkout/ship/nightly", Type: "schedule", Paused: true, PausedInConfig: true},
	})
	out := buf.String()
	for _, w := range []string{"TRIGGER", "checkout/ship/push", "active", "1h ago", "https://gk.example.com/api/v1/hooks/push",
		"paused by ada@example.com", "param version: bad", "paused (config)", "never"} {
		if !strings.Contains(out, w) {
			t.Errorf("triggers table lacks %q:\n%s", w, out)
		}
	}
	buf.Reset()
	printDryRun(&buf, &trigger.DryRun{Status: trigger.Status{Key: "checkout/ship/push", Type: "webhook", Pipeline: "ship"},
		Skipped: "when `payload.ref == \"x\"` is false", Conditions: []trigger.Condition{{Expr: `payload.ref == "x"`}}, Params: map[string]string{"b": "2", "a": "1"}})
	out = buf.String()
	for _, w := range []string{"would start nothing: when", `When       payload.ref == "x" -> false`, "Params     a=1 b=2"} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run output lacks %q:\n%s", w, out)
		}
	}
}
