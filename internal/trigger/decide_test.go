package trigger

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestCompileCheck(t *testing.T) {
	for _, tc := range []struct {
		source, expr, wantErr string
	}{
		{"webhook", `payload.ref == "refs/heads/main"`, ""},
		{"webhook", `headers["x-github-event"] == "push"`, ""},
		{"webhook", `payload.after.substring(0, 12)`, ""},
		{"registry", `tag.startsWith("v") && digest != ""`, ""},
		{"git", `!message.contains("[skip ci]") && branch == "main"`, ""},
		{"schedule", `timestamp(tick).getHours() == 3`, ""},
		{"pipeline", `execution.status == "succeeded"`, ""},
		{"registry", `payload.ref == "x"`, "a registry trigger reads repository, tag, digest"},
		{"webhook", `payload.ref ==`, "not a valid CEL expression"},
		{"cron", `true`, "unknown trigger source"},
		{"git", ``, "empty"},
		{"git", strings.Repeat("a", 5000), "keep it under"},
	} {
		err := CompileCheck(tc.source, tc.expr)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("CompileCheck(%s, %q) = %v, want nil", tc.source, tc.expr, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrExpression) {
			t.Errorf("CompileCheck(%s, %.40q) = %v, want an ErrExpression containing %q", tc.source, tc.expr, err, tc.wantErr)
		}
	}
	if err := CheckWhen("registry", `tag + "x"`); err == nil || !strings.Contains(err.Error(), "not a bool") {
		t.Errorf("CheckWhen of a string expression = %v, want not a bool", err)
	}
	if err := CheckWhen("registry", `tag == "x"`); err != nil {
		t.Errorf("CheckWhen = %v", err)
	}
}

func TestDecide(t *testing.T) {
	push := map[string]any{
		"payload": map[string]any{
			"ref": "refs/heads/main", "after": "0123456789abcdef0123",
			"size": 3.0, "big": 12345678901234.0, "ratio": 0.5, "tags": []any{"a", "b"},
		},
		"headers": map[string]string{"x-github-event": "push"},
		"hook":    "cart",
	}
	webhook := func(when []string, params map[string]string) model.TriggerSpec {
		return model.TriggerSpec{Name: "push", Webhook: &model.WebhookTrigger{Provider: "github"}, When: when, Params: params}
	}
	for _, tc := range []struct {
		name     string
		spec     model.TriggerSpec
		input    map[string]any
		defaults map[string]string
		start    bool
		skipped  string
		params   map[string]string
	}{
		{
			name: "every condition holds and params are strings",
			spec: webhook([]string{`payload.ref == "refs/heads/main"`, `headers["x-github-event"] == "push"`}, map[string]string{
				"version": `payload.after.substring(0, 12)`, "size": `payload.size`, "big": `payload.big`,
				"ratio": `payload.ratio`, "count": `size(payload.tags) * 2`, "at": `timestamp("2026-01-02T03:04:05Z")`,
				"tags": `payload.tags`, "main": `payload.ref.endsWith("main")`,
			}),
			input: push, start: true,
			params: map[string]string{"version": "0123456789ab", "size": "3", "big": "12345678901234", "ratio": "0.5",
				"count": "4", "at": "2026-01-02T03:04:05Z", "tags": `["a","b"]`, "main": "true"},
		},
		{
			name:  "a false condition skips, naming it",
			spec:  webhook([]string{`true`, `payload.ref == "refs/heads/dev"`}, nil),
			input: push, skipped: "when `payload.ref == \"refs/heads/dev\"` is false", params: map[string]string{},
		},
		{
			name:  "a condition that fails to evaluate skips",
			spec:  webhook([]string{`payload.nothere == "x"`}, nil),
			input: push, skipped: "no such key", params: map[string]string{},
		},
		{
			name:     "trigger params override source defaults",
			spec:     model.TriggerSpec{Name: "r", Registry: &model.RegistryTrigger{Repository: "r"}, Params: map[string]string{"version": `"v" + tag`}},
			input:    map[string]any{"tag": "1.2", "repository": "r", "digest": "sha256:x"},
			defaults: map[string]string{"version": "1.2", "image": "r@sha256:x"},
			start:    true, params: map[string]string{"version": "v1.2", "image": "r@sha256:x"},
		},
		{
			name:  "a variable the source did not give is empty",
			spec:  model.TriggerSpec{Name: "g", Git: &model.GitTrigger{Repository: "x"}, When: []string{`author == ""`}},
			input: map[string]any{"commit": "abc"}, start: true, params: map[string]string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.spec, tc.input, tc.defaults)
			if d.Start != tc.start || !strings.Contains(d.Skipped, tc.skipped) || (tc.skipped == "") != (d.Skipped == "") {
				t.Fatalf("Decide = start %v skipped %q, want start %v skipped containing %q", d.Start, d.Skipped, tc.start, tc.skipped)
			}
			if !reflect.DeepEqual(d.Params, tc.params) {
				t.Fatalf("params = %v, want %v", d.Params, tc.params)
			}
			if len(d.Conditions) != len(tc.spec.When) {
				t.Fatalf("conditions = %v, want one per when", d.Conditions)
			}
		})
	}
}

func TestStringifyRefusesNaN(t *testing.T) {
	d := Decide(model.TriggerSpec{Name: "s", Schedule: &model.ScheduleTrigger{Cron: "@daily"}, Params: map[string]string{"x": `0.0 / 0.0`}}, nil, nil)
	if d.Start || !strings.Contains(d.Skipped, "param x") {
		t.Fatalf("Decide with a NaN param = %+v, want skipped naming param x", d)
	}
}
