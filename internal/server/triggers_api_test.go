package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
)

// The trigger routes on a real server: the list shows the applied
// config's triggers with a webhook's URL, pause and resume change it and
// are audited, and a dry run answers what a payload would do without
// starting anything.
func TestTriggerRoutes(t *testing.T) {
	t.Parallel()
	admin := startServer(t)
	ctx := context.Background()
	_, err := admin.Apply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "sleep", Args: []string{"3600"}}, Instances: 1}},
		Pipelines: []model.Pipeline{{Name: "ship", Application: "checkout",
			Parameters: []model.Parameter{{Name: "version", Required: true}},
			Stages:     []model.StageSpec{{Name: "soak", Wait: &model.WaitStage{Duration: model.Duration(time.Hour)}}},
			Triggers: []model.TriggerSpec{
				{Name: "push", Webhook: &model.WebhookTrigger{Provider: "github", Secret: model.FromSecret(model.SecretRef{Env: "GH_SECRET"})},
					When: []string{`payload.ref == "refs/heads/main"`}, Params: map[string]string{"version": `payload.after.substring(0, 7)`}},
				{Name: "tags", Registry: &model.RegistryTrigger{Repository: "ghcr.io/acme/checkout"}},
			}}},
	})
	if err != nil {
		t.Fatal(err)
	}

	list, err := admin.Triggers(ctx)
	triggerMust(t, err)
	if len(list) != 2 || list[0].Key != "checkout/ship/push" || !strings.HasSuffix(list[0].HookURL, "/api/v1/hooks/push") ||
		!strings.HasPrefix(list[0].HookURL, "http://") || list[1].Key != "checkout/ship/tags" || list[1].Paused {
		t.Fatalf("triggers = %+v", list)
	}

	st, err := admin.SetTriggerPaused(ctx, "checkout/ship/tags", true)
	triggerMust(t, err)
	if !st.Paused || st.PausedBy == "" {
		t.Fatalf("after pause: %+v", st)
	}
	dry, err := admin.TestTrigger(ctx, "checkout/ship/tags", json.RawMessage(`{"tag":"1.4.0"}`))
	triggerMust(t, err)
	if dry.WouldStart || !strings.Contains(dry.Skipped, "paused by") || dry.Params["version"] != "1.4.0" {
		t.Fatalf("dry run of a paused trigger = %+v", dry)
	}
	st, err = admin.SetTriggerPaused(ctx, "checkout/ship/tags", false)
	triggerMust(t, err)
	if st.Paused {
		t.Fatalf("after resume: %+v", st)
	}

	dry, err = admin.TestTrigger(ctx, "checkout/ship/push", json.RawMessage(`{"ref":"refs/heads/main","after":"0123456789"}`))
	triggerMust(t, err)
	if !dry.WouldStart || dry.Params["version"] != "0123456" || len(dry.Conditions) != 1 || !dry.Conditions[0].Result {
		t.Fatalf("dry run = %+v", dry)
	}
	dry, err = admin.TestTrigger(ctx, "checkout/ship/push", json.RawMessage(`{"ref":"refs/heads/dev","after":"0123456789"}`))
	triggerMust(t, err)
	if dry.WouldStart || !strings.Contains(dry.Skipped, `payload.ref == "refs/heads/main"`) {
		t.Fatalf("dry run with a false when = %+v", dry)
	}
	execs, err := admin.Executions(ctx, url.Values{})
	triggerMust(t, err)
	if len(execs) != 0 {
		t.Fatalf("dry runs started %d executions", len(execs))
	}

	// Bad requests name what is wrong.
	var apiErr *client.APIError
	if _, err := admin.TestTrigger(ctx, "checkout/ship/nope", json.RawMessage(`{}`)); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Fatalf("test of an unknown trigger = %v, want 404", err)
	}
	if _, err := admin.TestTrigger(ctx, "checkout/ship/tags", json.RawMessage(`{"tga":"1"}`)); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || !strings.Contains(err.Error(), "tga") {
		t.Fatalf("test with an unknown variable = %v, want 400 naming it", err)
	}
	if _, err := admin.SetTriggerPaused(ctx, "billing/ship/push", true); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Fatalf("pause of a trigger whose path names another application = %v, want 404", err)
	}

	entries, err := admin.Audit(ctx, url.Values{"application": {"checkout"}})
	triggerMust(t, err)
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(string(e.Action), "trigger.") {
			actions = append(actions, string(e.Action)+" "+string(e.Outcome)+" "+e.Object)
		}
	}
	if strings.Join(actions, "; ") != "trigger.pause ok trigger/checkout/ship/tags; trigger.resume ok trigger/checkout/ship/tags" {
		t.Fatalf("audited trigger actions: %v", actions)
	}
}

func triggerMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
