package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// An execution a trigger started shows who started it (the trigger's key,
// the delivery, the digest and commit) and, collapsed, the redacted payload
// it received, escaped.
func TestExecutionShowsItsTrigger(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pipeline := model.Pipeline{Name: "ship", Application: "checkout", Stages: []model.StageSpec{{Name: "noop", Noop: &model.NoopStage{}}}}
	must(t, r.st.ExecutionInsert(context.Background(), &model.Execution{ID: "exec-triggered", Pipeline: "ship", Application: "checkout",
		Status: model.ExecutionRunning, Params: map[string]string{"version": "1.4.0"}, Spec: pipeline, CreatedAt: t0.Add(4 * time.Minute),
		Trigger: model.Trigger{Kind: "registry", Actor: "trigger:checkout/ship/tags", Name: "checkout/ship/tags", DeliveryID: "1.4.0@sha256:abc",
			Digest: "sha256:abc", Payload: json.RawMessage(`{"tag":"1.4.0","note":"<script>x</script>","token":"***"}`)},
		Stages: []model.Stage{{Name: "noop", Type: model.StageNoop, Status: model.StagePending}}}))
	code, body := r.get("/executions/exec-triggered")
	if code != 200 {
		t.Fatalf("GET /executions/exec-triggered = %d:\n%s", code, body)
	}
	for _, w := range []string{
		"triggered by registry (trigger:checkout/ship/tags)",
		"Started by trigger <code>checkout/ship/tags</code> · delivery <code>1.4.0@sha256:abc</code> · digest <code>sha256:abc</code>",
		`<details class="trigger-payload"><summary>`, `&#34;tag&#34;: &#34;1.4.0&#34;`, `\u003cscript\u003e`,
	} {
		if !strings.Contains(body, w) {
			t.Errorf("execution page lacks %q", w)
		}
	}
	if strings.Contains(body, "<script>x</script>") {
		t.Error("the payload is not escaped")
	}
	// A manual run shows neither.
	code, body = r.get("/executions/exec-failed")
	if code != 200 || strings.Contains(body, "trigger-payload") || strings.Contains(body, "Started by trigger") {
		t.Errorf("a run no trigger started shows a trigger (%d)", code)
	}
}
