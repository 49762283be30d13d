package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestCheckBranch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ branch, want string }{
		{"main", ""},
		{"release/1.x", ""},
		{"feature/ABC-12_x", ""},
		{"refs/heads/main", "full ref"},
		{"-main", "start with '-'"},
		{"@", "may not be @"},
		{"a//b", "slashes"},
		{"a/", "slashes"},
		{"a..b", "'..'"},
		{"a/.hidden", "'..'"},
		{"a.lock", "'.lock'"},
		{"a@{1}", "'@{'"},
		{"a b", "spaces"},
		{"a~1", "~^:?*["},
		{"a\x01", "control"},
		{strings.Repeat("a", 256), "255"},
	} {
		got := checkBranch(tc.branch)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("checkBranch(%q) = %q, want %q", tc.branch, got, tc.want)
		}
	}
}

func TestCheckCron(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cron, want string }{
		{"0 6 * * 1-5", ""},
		{"*/15 * * * *", ""},
		{"@daily", ""},
		{"@every 30m", ""},
		{"0 0 6 * * *", "not a cron expression"}, // six fields (seconds) are not taken
		{"* * * *", "not a cron expression"},
		{"@fortnightly", "not a cron expression"},
		{"CRON_TZ=UTC 0 6 * * *", "timeZone"},
	} {
		got := checkCron(tc.cron)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("checkCron(%q) = %q, want %q", tc.cron, got, tc.want)
		}
	}
}

func TestCheckRepository(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ repo, want string }{
		{"ghcr.io/acme/cart", ""},
		{"registry.example.com:5000/team/app", ""},
		{"127.0.0.1:5000/app", ""},
		{"ubuntu", ""},
		{"localhost:5000/app:1.0", "names a tag"},
		{"ghcr.io/acme/cart@sha256:0123", "names a digest"},
		{"ghcr.io/Acme/cart", "not an image repository"},
		{"ghcr.io/acme/cart/", "not an image repository"},
	} {
		got := checkRepository(tc.repo)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("checkRepository(%q) = %q, want %q", tc.repo, got, tc.want)
		}
	}
}

func TestTagPatternMatchesWholeTags(t *testing.T) {
	t.Parallel()
	re, err := TagPattern(`v1\..*|latest`)
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[string]bool{"v1.2": true, "latest": true, "prod-v1.2": false, "latest-rc": false, "v2.0": false} {
		if got := re.MatchString(tag); got != want {
			t.Errorf("%q matches %v, want %v", tag, got, want)
		}
	}
}

// pipelineWith is a pipeline of application checkout with one noop stage.
func pipelineWith(name string, triggers ...model.TriggerSpec) model.Pipeline {
	return model.Pipeline{Name: name, Application: "checkout", Stages: []model.StageSpec{{Name: "note", Noop: &model.NoopStage{}}}, Triggers: triggers}
}

func after(name, upstream string) model.TriggerSpec {
	return model.TriggerSpec{Name: name, Pipeline: &model.PipelineTrigger{Pipeline: upstream}}
}

func hookTrigger(name, hook, provider string) model.TriggerSpec {
	return model.TriggerSpec{Name: name, Webhook: &model.WebhookTrigger{Hook: hook, Provider: provider, Secret: model.FromSecret(model.SecretRef{Env: "S"})}}
}

// validateAgainst checks pipelines through the API's path, with stored objects.
func validateAgainst(t *testing.T, cfg, existing model.Config) []string {
	t.Helper()
	existing.Applications = append(existing.Applications, model.Application{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "./run"}})
	err := ValidateObjects(cfg, LoadOptions{Existing: existing})
	if err == nil {
		return nil
	}
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want *Errors, got %v", err)
	}
	return errs.ConfigErrors()
}

func TestTriggerCycleThroughStoredPipelines(t *testing.T) {
	t.Parallel()
	// a -> b is stored, b -> c is stored; applying c -> a closes the cycle.
	existing := model.Config{Pipelines: []model.Pipeline{pipelineWith("b", after("after-a", "a")), pipelineWith("c", after("after-b", "b"))}}
	got := validateAgainst(t, model.Config{Pipelines: []model.Pipeline{pipelineWith("a", after("after-c", "c"))}}, existing)
	if len(got) != 1 || !strings.Contains(got[0], "cycle c -> a -> b -> c") {
		t.Fatalf("errors = %q, want one naming the cycle c -> a -> b -> c", got)
	}
	// Replacing b's stored trigger breaks the cycle.
	got = validateAgainst(t, model.Config{Pipelines: []model.Pipeline{pipelineWith("a", after("after-c", "c")), pipelineWith("b")}}, existing)
	if len(got) != 0 {
		t.Fatalf("errors = %q, want none once b no longer follows a", got)
	}
}

func TestTriggerCycleReportedOnce(t *testing.T) {
	t.Parallel()
	got := validateAgainst(t, model.Config{Pipelines: []model.Pipeline{
		pipelineWith("a", after("after-b", "b")), pipelineWith("b", after("after-a", "a")),
	}}, model.Config{})
	if len(got) != 1 || !strings.Contains(got[0], "a -> b -> a") && !strings.Contains(got[0], "b -> a -> b") {
		t.Fatalf("errors = %q, want the cycle once", got)
	}
}

func TestHookProviderAgainstStored(t *testing.T) {
	t.Parallel()
	existing := model.Config{Pipelines: []model.Pipeline{pipelineWith("old", hookTrigger("push", "ci", "github"))}}
	got := validateAgainst(t, model.Config{Pipelines: []model.Pipeline{pipelineWith("new", hookTrigger("ci", "", "hmac"))}}, existing)
	if len(got) != 1 || !strings.Contains(got[0], `hook "ci" is used by trigger checkout/old/push (stored) with provider github`) {
		t.Fatalf("errors = %q, want the stored trigger's provider named", got)
	}
	// The same provider on one hook is fine: each trigger has its own secret.
	if got := validateAgainst(t, model.Config{Pipelines: []model.Pipeline{pipelineWith("new", hookTrigger("ci", "", "github"))}}, existing); len(got) != 0 {
		t.Fatalf("errors = %q, want none", got)
	}
}

func TestTriggersThroughTheAPIPath(t *testing.T) {
	t.Parallel()
	bad := hookTrigger("push", "", "github")
	bad.Webhook.Secret = model.Inline("hunter2")
	bad.When = []string{`payload.ref ==`}
	got := validateAgainst(t, model.Config{Pipelines: []model.Pipeline{pipelineWith("p", bad)}}, model.Config{})
	want := []string{"spec.triggers[0].webhook.secret: a webhook's secret is never written inline", "spec.triggers[0].when[0]: "}
	if len(got) != len(want) {
		t.Fatalf("errors = %q, want %d", got, len(want))
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("error %d = %q, want it to hold %q", i, got[i], w)
		}
	}
}
