package upstream

import (
	"encoding/json"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/trigger"
)

// Firing is the firing of ref for the upstream execution that ended with
// status. Its input is execution = {id, application, pipeline, status,
// version, params, trigger}; its default params are the upstream's params
// that the downstream pipeline takes (so version flows on); its record
// carries the upstream's commit and digest, so the change's lead time
// follows it to the next environment.
func Firing(ref trigger.Ref, up *model.Execution, status model.ExecutionStatus) trigger.Firing {
	params := map[string]any{}
	for k, v := range up.Params {
		params[k] = v
	}
	execution := map[string]any{
		"id":          up.ID,
		"application": up.Application,
		"pipeline":    up.Pipeline,
		"status":      string(status),
		"version":     up.Params["version"],
		"params":      params,
		"trigger":     triggerInput(up.Trigger),
	}
	input := map[string]any{"execution": execution}
	f := trigger.Firing{
		Ref: ref, DeliveryID: up.ID, Input: input,
		Params: Params(ref.Pipeline, up),
		Record: model.Trigger{Kind: "pipeline", CommitSHA: up.Trigger.CommitSHA, CommitTime: up.Trigger.CommitTime, Digest: up.Trigger.Digest},
	}
	f.Record.Payload, _ = json.Marshal(input) // strings and maps of strings always marshal
	return f
}

// Params are the upstream execution's params that the downstream pipeline
// takes: those it declares, version, and env.NAME when both run the same
// application (another application's deployEnv may not allow them).
func Params(down model.Pipeline, up *model.Execution) map[string]string {
	declared := map[string]bool{}
	for _, p := range down.Parameters {
		declared[p.Name] = true
	}
	out := map[string]string{}
	for k, v := range up.Params {
		switch {
		case declared[k], k == "version":
		case strings.HasPrefix(k, "env.") && up.Application == down.Application:
		default:
			continue
		}
		out[k] = v
	}
	return out
}

// triggerInput is the upstream's trigger record as plain values for CEL,
// without its payload (the upstream's own input, unbounded in depth).
func triggerInput(t model.Trigger) map[string]any {
	t.Payload = nil
	var m map[string]any
	b, _ := json.Marshal(t) // plain strings and a time always marshal
	_ = json.Unmarshal(b, &m)
	return m
}
