package trigger_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/internal/trigger"
)

// setup is a real store holding the pipeline checkout/ship with three
// triggers, a real engine (not started: no stage runs) and the service.
func setup(t *testing.T) (*trigger.Service, store.Store, model.Pipeline) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	pl := model.Pipeline{Name: "ship", Application: "checkout",
		Parameters: []model.Parameter{{Name: "branch"}},
		Stages:     []model.StageSpec{{Name: "noop", Noop: &model.NoopStage{}}},
		Triggers: []model.TriggerSpec{
			{Name: "push", Webhook: &model.WebhookTrigger{Provider: "github", Hook: "cart"},
				When:   []string{`payload.ref.startsWith("refs/heads/")`},
				Params: map[string]string{"version": `payload.after.substring(0, 7)`, "branch": `payload.ref.split("/")[2]`}},
			{Name: "tags", Registry: &model.RegistryTrigger{Repository: "ghcr.io/acme/checkout"}},
			{Name: "nightly", Paused: true, Schedule: &model.ScheduleTrigger{Cron: "@daily"}},
		},
	}
	_, err = st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "./checkout"}}},
		Pipelines:    []model.Pipeline{pl},
	})
	must(t, err)
	eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{}, SingleNode: true})
	must(t, err)
	return trigger.NewService(trigger.ServiceConfig{Store: st, Engine: eng}), st, pl
}

func ref(pl model.Pipeline, name string) trigger.Ref {
	for _, s := range pl.Triggers {
		if s.Name == name {
			return trigger.Ref{Pipeline: pl, Spec: s}
		}
	}
	panic("no trigger " + name)
}

func push(pl model.Pipeline, delivery, branch string) trigger.Firing {
	payload := `{"ref":"refs/heads/` + branch + `","after":"0123456789abcdef","pusher":{"name":"ada","token":"ghp_abcdefgh"},` +
		`"repository":{"clone_url":"https://ada:hunter2secret@github.com/acme/cart.git"}}`
	var body map[string]any
	if err := json.Unmarshal([]byte(payload), &body); err != nil {
		panic(err)
	}
	return trigger.Firing{Ref: ref(pl, "push"), DeliveryID: delivery,
		Input:  map[string]any{"payload": body, "headers": map[string]string{"x-github-event": "push"}, "hook": "cart"},
		Record: model.Trigger{Kind: "webhook", CommitSHA: "0123456789abcdef", Payload: json.RawMessage(payload)}}
}

func TestFireStartsOncePerDeliveryAndRecordsTheTrigger(t *testing.T) {
	t.Parallel()
	svc, st, pl := setup(t)
	ctx := t.Context()
	res, err := svc.Fire(ctx, push(pl, "d-1", "main"))
	must(t, err)
	if res.ExecutionID == "" || res.Duplicate || res.Skipped != "" {
		t.Fatalf("first firing = %+v, want a start", res)
	}
	if res.Params["version"] != "0123456" || res.Params["branch"] != "main" {
		t.Fatalf("params = %v, want version 0123456 and branch main", res.Params)
	}
	exec, err := st.ExecutionGet(ctx, res.ExecutionID)
	must(t, err)
	tr := exec.Trigger
	if tr.Kind != "webhook" || tr.Name != "checkout/ship/push" || tr.DeliveryID != "d-1" || tr.Actor != "trigger:checkout/ship/push" || tr.CommitSHA != "0123456789abcdef" {
		t.Fatalf("execution's trigger = %+v", tr)
	}
	if p := string(tr.Payload); strings.Contains(p, "ghp_abcdefgh") || strings.Contains(p, "hunter2secret") || !strings.Contains(p, `"refs/heads/main"`) {
		t.Fatalf("stored payload %s: want the token and the URL's password redacted, the rest kept", p)
	}

	again, err := svc.Fire(ctx, push(pl, "d-1", "main"))
	must(t, err)
	if !again.Duplicate || again.ExecutionID != res.ExecutionID {
		t.Fatalf("replayed firing = %+v, want the first execution %s marked duplicate", again, res.ExecutionID)
	}
	// Paused since: a replay is still answered with the execution it
	// started, not "paused".
	_, err = svc.SetPaused(ctx, "checkout/ship/push", true, "ada@example.com", nil)
	must(t, err)
	again, err = svc.Fire(ctx, push(pl, "d-1", "main"))
	must(t, err)
	if !again.Duplicate || again.ExecutionID != res.ExecutionID || again.Skipped != "" {
		t.Fatalf("replay after a pause = %+v, want the first execution %s marked duplicate", again, res.ExecutionID)
	}
	_, err = svc.SetPaused(ctx, "checkout/ship/push", false, "ada@example.com", nil)
	must(t, err)
	entries, err := st.AuditList(ctx, store.AuditListParams{})
	must(t, err)
	if len(entries) != 1 || entries[0].Actor != "trigger:checkout/ship/push" || entries[0].Action != model.AuditRun || entries[0].Application != "checkout" {
		t.Fatalf("audit = %+v, want one pipeline.run by trigger:checkout/ship/push", entries)
	}
	state, err := st.TriggerStateGet(ctx, "checkout/ship/push")
	must(t, err)
	if state.LastFiredAt == nil || state.LastError != "" {
		t.Fatalf("state after a start = %+v, want a last firing and no error", state)
	}
}

func TestFireSkips(t *testing.T) {
	t.Parallel()
	svc, st, pl := setup(t)
	ctx := t.Context()

	// A false condition: nothing starts, nothing is an error.
	tag := push(pl, "d-1", "main")
	tag.Input["payload"].(map[string]any)["ref"] = "refs/tags/v1"
	res, err := svc.Fire(ctx, tag)
	must(t, err)
	if res.ExecutionID != "" || !strings.Contains(res.Skipped, "is false") {
		t.Fatalf("a firing whose when is false = %+v", res)
	}

	// Paused at run time, then resumed.
	_, err = svc.SetPaused(ctx, "checkout/ship/push", true, "ada@example.com", &model.AuditEntry{Actor: "ada@example.com", Action: model.AuditTriggerPause, Object: "trigger/checkout/ship/push"})
	must(t, err)
	res, err = svc.Fire(ctx, push(pl, "d-2", "main"))
	must(t, err)
	if res.ExecutionID != "" || !strings.Contains(res.Skipped, "paused by ada@example.com") {
		t.Fatalf("a paused trigger's firing = %+v", res)
	}
	_, err = svc.SetPaused(ctx, "checkout/ship/push", false, "bob@example.com", nil)
	must(t, err)
	res, err = svc.Fire(ctx, push(pl, "d-2", "main"))
	must(t, err)
	if res.ExecutionID == "" {
		t.Fatalf("after a resume the firing = %+v, want a start", res)
	}

	// Paused in config.
	res, err = svc.Fire(ctx, trigger.Firing{Ref: ref(pl, "nightly"), DeliveryID: "2026-01-01T00:00:00Z"})
	must(t, err)
	if res.ExecutionID != "" || !strings.Contains(res.Skipped, "paused in its config") {
		t.Fatalf("a trigger paused in config = %+v", res)
	}

	// Gone from the applied config (a poller with an old config).
	gone := ref(pl, "tags")
	gone.Spec.Name = "renamed"
	res, err = svc.Fire(ctx, trigger.Firing{Ref: gone, DeliveryID: "1.0@sha256:x"})
	must(t, err)
	if !strings.Contains(res.Skipped, "no longer in the applied config") {
		t.Fatalf("a removed trigger's firing = %+v", res)
	}

	// A failing expression is the trigger's last error.
	bad := push(pl, "d-3", "main")
	delete(bad.Input["payload"].(map[string]any), "after")
	res, err = svc.Fire(ctx, bad)
	must(t, err)
	state, err := st.TriggerStateGet(ctx, "checkout/ship/push")
	must(t, err)
	if res.ExecutionID != "" || !strings.Contains(res.Skipped, "param version") || !strings.Contains(state.LastError, "param version") {
		t.Fatalf("a failing param = %+v, last error %q", res, state.LastError)
	}

	// Parameters the pipeline refuses: an error, recorded.
	odd := trigger.Firing{Ref: ref(pl, "tags"), DeliveryID: "bad@sha256:x", Input: map[string]any{"tag": "has space"}, Params: map[string]string{"version": "has space"}}
	_, err = svc.Fire(ctx, odd)
	if !errors.Is(err, engine.ErrBadRequest) {
		t.Fatalf("a start the engine refuses: err = %v, want ErrBadRequest", err)
	}
	state, err = st.TriggerStateGet(ctx, "checkout/ship/tags")
	must(t, err)
	if !strings.Contains(state.LastError, "version") {
		t.Fatalf("last error = %q, want the engine's", state.LastError)
	}
	entries, err := st.AuditList(ctx, store.AuditListParams{})
	must(t, err)
	if len(entries) != 2 || entries[0].Action != model.AuditTriggerPause || entries[1].Action != model.AuditRun {
		t.Fatalf("audit = %+v, want the pause and the one start", entries)
	}
}

func TestListAndDryRun(t *testing.T) {
	t.Parallel()
	svc, st, pl := setup(t)
	ctx := t.Context()
	res, err := svc.Fire(ctx, trigger.Firing{Ref: ref(pl, "tags"), DeliveryID: "1.4.0@sha256:x", Input: map[string]any{"tag": "1.4.0"},
		Params: map[string]string{"version": "1.4.0", "notdeclared": "x"}, Record: model.Trigger{Digest: "sha256:x"}})
	must(t, err)
	exec, err := st.ExecutionGet(ctx, res.ExecutionID)
	must(t, err)
	if exec.Trigger.Kind != "registry" || exec.Trigger.Digest != "sha256:x" || string(exec.Trigger.Payload) != `{"tag":"1.4.0"}` || exec.Params["notdeclared"] != "" {
		t.Fatalf("a registry start recorded %+v with params %v: want kind registry, the digest, the input as payload, no undeclared default", exec.Trigger, exec.Params)
	}
	list, err := svc.List(ctx, nil)
	must(t, err)
	if len(list) != 3 || list[0].Key != "checkout/ship/nightly" || !list[0].Paused || !list[0].PausedInConfig ||
		list[1].HookURL != "/api/v1/hooks/cart" || list[2].LastFiredAt == nil || list[2].Type != "registry" {
		t.Fatalf("List = %+v", list)
	}
	if none, err := svc.List(ctx, func(string) bool { return false }); err != nil || len(none) != 0 {
		t.Fatalf("List of no readable application = %v, %v", none, err)
	}

	dry, err := svc.Test(ctx, "checkout/ship/push", []byte(`{"ref":"refs/heads/dev","after":"abcdef0123"}`))
	must(t, err)
	if !dry.WouldStart || dry.Params["version"] != "abcdef0" || dry.Params["branch"] != "dev" || len(dry.Conditions) != 1 || !dry.Conditions[0].Result {
		t.Fatalf("dry run = %+v", dry)
	}
	dry, err = svc.Test(ctx, "checkout/ship/push", []byte(`{"ref":"v1","after":"abcdef0123"}`))
	must(t, err)
	if dry.WouldStart || !strings.Contains(dry.Skipped, "startsWith") {
		t.Fatalf("dry run with a false when = %+v", dry)
	}
	dry, err = svc.Test(ctx, "checkout/ship/tags", []byte(`{"tag":"2.0.0","digest":"sha256:y"}`))
	must(t, err)
	if !dry.WouldStart || dry.Params["version"] != "2.0.0" {
		t.Fatalf("dry run of a registry trigger = %+v, want version = tag", dry)
	}
	dry, err = svc.Test(ctx, "checkout/ship/nightly", []byte(`{"tick":"2026-01-01T00:00:00Z"}`))
	must(t, err)
	if dry.WouldStart || !strings.Contains(dry.Skipped, "paused") {
		t.Fatalf("dry run of a paused trigger = %+v", dry)
	}
	for body, want := range map[string]string{`{"nope":1}`: "no variable nope", `[1]`: "JSON object", `{`: "not one JSON document"} {
		if _, err := svc.Test(ctx, "checkout/ship/tags", []byte(body)); !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), want) {
			t.Errorf("Test(%s) = %v, want a bad request saying %q", body, err, want)
		}
	}
	if _, err := svc.Test(ctx, "checkout/ship/nope", []byte(`{}`)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Test of a trigger not in the config = %v, want ErrNotFound", err)
	}
	if _, err := svc.Test(ctx, "checkout-ship", []byte(`{}`)); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("Test of a malformed key = %v, want ErrBadRequest", err)
	}
}

func TestCursorsRoundTrip(t *testing.T) {
	t.Parallel()
	svc, _, _ := setup(t)
	ctx := t.Context()
	c, err := svc.TriggerCursor(ctx, "checkout/ship/tags")
	must(t, err)
	if c != nil {
		t.Fatalf("first cursor = %q, want nil", c)
	}
	must(t, svc.SetTriggerCursor(ctx, "checkout/ship/tags", []byte(`{"seen":["1.0"]}`)))
	c, err = svc.TriggerCursor(ctx, "checkout/ship/tags")
	must(t, err)
	if string(c) != `{"seen":["1.0"]}` {
		t.Fatalf("cursor = %q", c)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
