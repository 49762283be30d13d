package config

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

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
apiVersion: gennaker.dev/v1alpha1
kind: Pipeline
metadata: {name: release}
spec:
  application: checkout
  stages:
    - name: notify
      webhook:
        url: {secretRef: {env: SLACK_WEBHOOK_URL}}
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
	_, err := Parse("p.yaml", []byte(`apiVersion: gennaker.dev/v1alpha1
kind: Pipeline
metadata: {name: release}
spec:
  application: checkout
  stages:
    - name: notify
      webhook:
        url: {secretRef: {env: A, file: /b}}
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
	var schema struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, schema.Defs["SecretRef"]); err != nil {
		t.Fatal(err)
	}
	if want := `"oneOf":[{"required":["env"]},{"required":["file"]},{"required":["kubernetes"]}]`; !strings.Contains(compact.String(), want) {
		t.Errorf("$defs.SecretRef = %s, want it to hold %s", compact.String(), want)
	}
	compact.Reset()
	_ = json.Compact(&compact, schema.Defs["WebhookStage"])
	if want := `"url":{"description":"a string, or {secretRef: {...}}`; !strings.Contains(compact.String(), want) {
		t.Errorf("$defs.WebhookStage = %s, want url to be a string or a secretRef", compact.String())
	}
}
