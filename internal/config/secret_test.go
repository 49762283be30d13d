package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// notifyPipeline is a Pipeline whose one stage is the webhook whose fields
// follow, indented by eight spaces; they start on line 9.
const notifyPipeline = `apiVersion: gennaker.dev/v1alpha1
kind: Pipeline
metadata: {name: release}
spec:
  application: checkout
  stages:
    - name: notify
      webhook:
`

func TestSecretRefsDecode(t *testing.T) {
	t.Parallel()
	docs, err := Parse("secrets.yaml", []byte(`apiVersion: gennaker.dev/v1alpha1
kind: Application
metadata: {name: checkout}
spec:
  run:
    command: ./run
    env:
      LOG_LEVEL: info
      DB_PASSWORD: {secretRef: {env: CHECKOUT_DB_PASSWORD}}
      API_KEY: {secretRef: {kubernetes: {name: checkout-secrets, key: api-key}}}
---
`+notifyPipeline+`        url: {secretRef: {env: SLACK_WEBHOOK_URL}}
        headers:
          Authorization: {secretRef: {file: /etc/gennaker/ci-token}}
          X-Team: payments
        body: '{"text": "{{params.version}}"}'
`))
	if err != nil {
		t.Fatal(err)
	}
	env := docs[0].Application.Run.Env
	want := map[string]model.StringOrSecret{
		"LOG_LEVEL":   model.Inline("info"),
		"DB_PASSWORD": model.FromSecret(model.SecretRef{Env: "CHECKOUT_DB_PASSWORD"}),
		"API_KEY":     model.FromSecret(model.SecretRef{Kubernetes: &model.KubernetesSecretRef{Name: "checkout-secrets", Key: "api-key"}}),
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("run.env = %+v\nwant %+v", env, want)
	}
	w := docs[1].Pipeline.Stages[0].Webhook
	if !reflect.DeepEqual(w.URL, model.FromSecret(model.SecretRef{Env: "SLACK_WEBHOOK_URL"})) ||
		!reflect.DeepEqual(w.Headers["Authorization"], model.FromSecret(model.SecretRef{File: "/etc/gennaker/ci-token"})) ||
		w.Headers["X-Team"] != model.Inline("payments") || w.Body != model.Inline(`{"text": "{{params.version}}"}`) {
		t.Errorf("webhook = %+v", w)
	}
}

// A secret value that could not be decoded gets one error, not a second
// one from validation (an unparsable URL, a credential-looking header).
func TestBadSecretRefIsReportedOnce(t *testing.T) {
	t.Parallel()
	_, err := Parse("p.yaml", []byte(notifyPipeline+`        url: {secretRef: {env: A, file: /b}}
        headers: {Authorization: {secretRef: {file: token}}}
`))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "9:41:") || !strings.Contains(lines[0], "found env and file") ||
		!strings.Contains(lines[1], "10:53:") || !strings.Contains(lines[1], `"token" is a relative path`) {
		t.Errorf("errors:\n%v", err)
	}
}

func TestSchemaSecretRef(t *testing.T) {
	t.Parallel()
	wantSchemaDefs(t, map[string]string{
		"SecretRef":    `"oneOf":[{"required":["env"]},{"required":["file"]},{"required":["kubernetes"]}]`,
		"WebhookStage": `"url":{"description":"a string, or {secretRef: {...}}`,
	})
}
