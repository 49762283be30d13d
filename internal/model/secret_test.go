package model

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestStringOrSecretJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    StringOrSecret
		json string
	}{
		{"inline stays a string", Inline("https://ci.example.com/hook"), `"https://ci.example.com/hook"`},
		{"empty inline", Inline(""), `""`},
		{"env", FromSecret(SecretRef{Env: "SLACK_WEBHOOK_URL"}), `{"secretRef":{"env":"SLACK_WEBHOOK_URL"}}`},
		{"file", FromSecret(SecretRef{File: "/etc/gennaker/ci-token"}), `{"secretRef":{"file":"/etc/gennaker/ci-token"}}`},
		{"kubernetes", FromSecret(SecretRef{Kubernetes: &KubernetesSecretRef{Name: "checkout-secrets", Key: "api-key"}}),
			`{"secretRef":{"kubernetes":{"name":"checkout-secrets","key":"api-key"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.v)
			if err != nil || string(b) != tt.json {
				t.Fatalf("Marshal = %s, %v; want %s", b, err, tt.json)
			}
			var back StringOrSecret
			if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tt.v) {
				t.Errorf("Unmarshal(%s) = %#v, %v; want %#v", b, back, err, tt.v)
			}
		})
	}
}

func TestStringOrSecretUnmarshalRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{}`, `{"secretRef":null}`, `{"secretRef":{"env":"X"},"value":"y"}`, `{"secretRef":{"vault":"x"}}`, `12`, `[]`} {
		var v StringOrSecret
		if err := json.Unmarshal([]byte(in), &v); err == nil || !strings.Contains(err.Error(), "secretRef") {
			t.Errorf("Unmarshal(%s) = %v, want an error showing the secretRef shape", in, err)
		}
	}
}

// Stored specs written before references existed read back as inline values.
func TestWebhookStageReadsStoredStrings(t *testing.T) {
	t.Parallel()
	var w WebhookStage
	err := json.Unmarshal([]byte(`{"url":"https://ci.example.com/h","headers":{"X-Team":"payments"},"body":"{}"}`), &w)
	if err != nil {
		t.Fatal(err)
	}
	if w.URL != Inline("https://ci.example.com/h") || w.Headers["X-Team"] != Inline("payments") || w.Body != Inline("{}") || !w.StatusURL.IsZero() {
		t.Errorf("decoded %+v", w)
	}
	b, _ := json.Marshal(w)
	if want := `{"url":"https://ci.example.com/h","headers":{"X-Team":"payments"},"body":"{}"}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s (unset body and statusUrl left out)", b, want)
	}
}

func TestSecretRefProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref   SecretRef
		field string
		says  string // "" when valid
	}{
		{SecretRef{Env: "SLACK_WEBHOOK_URL"}, "", ""},
		{SecretRef{File: "/etc/gennaker/ci-token"}, "", ""},
		{SecretRef{Kubernetes: &KubernetesSecretRef{Name: "checkout-secrets", Key: "api-key"}}, "", ""},
		{SecretRef{}, "", "needs exactly one of env, file, kubernetes"},
		{SecretRef{Env: "A", File: "/x"}, "", "found env and file: keep one"},
		{SecretRef{Env: "1X"}, "env", "not an environment variable name"},
		{SecretRef{Env: "MY-VAR"}, "env", "not an environment variable name"},
		{SecretRef{File: "secrets/token"}, "file", "write an absolute path such as /etc/gennaker/token"},
		{SecretRef{Kubernetes: &KubernetesSecretRef{Key: "k"}}, "kubernetes.name", "name is empty"},
		{SecretRef{Kubernetes: &KubernetesSecretRef{Name: "Checkout", Key: "k"}}, "kubernetes.name", "not a Kubernetes Secret name"},
		{SecretRef{Kubernetes: &KubernetesSecretRef{Name: "s"}}, "kubernetes.key", "key is empty"},
		{SecretRef{Kubernetes: &KubernetesSecretRef{Name: "s", Key: "a/b"}}, "kubernetes.key", "not a key"},
	}
	for _, tt := range tests {
		field, msg := tt.ref.Problem()
		if field != tt.field || !strings.Contains(msg, tt.says) || (tt.says == "") != (msg == "") {
			t.Errorf("%s: Problem() = %q, %q; want %q saying %q", tt.ref, field, msg, tt.field, tt.says)
		}
		if err := tt.ref.Validate(); (err == nil) != (tt.says == "") || (err != nil && !errors.Is(err, ErrInvalidSecretRef)) {
			t.Errorf("%s: Validate() = %v", tt.ref, err)
		}
	}
}

func TestStringOrSecretStringNamesTheReference(t *testing.T) {
	t.Parallel()
	if got := FromSecret(SecretRef{Env: "TOKEN"}).String(); got != "(secret from env TOKEN)" {
		t.Errorf("String() = %q", got)
	}
	if got := Inline("x").String(); got != "x" {
		t.Errorf("String() = %q", got)
	}
}
