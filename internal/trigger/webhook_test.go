package trigger

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// GitHub's documented example (docs.github.com, "Validating webhook deliveries").
const (
	ghSecret    = "It's a Secret to Everybody"
	ghPayload   = "Hello, World!"
	ghSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestSignIsGitHubsExample(t *testing.T) {
	t.Parallel()
	if got := "sha256=" + Sign(ghSecret, []byte(ghPayload)); got != ghSignature {
		t.Fatalf("Sign = %s, want %s", got, ghSignature)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(ghPayload)
	github := model.WebhookTrigger{Provider: ProviderGitHub}
	gitlab := model.WebhookTrigger{Provider: ProviderGitLab}
	hmacDefault := model.WebhookTrigger{Provider: ProviderHMAC}
	hmacOwn := model.WebhookTrigger{Provider: ProviderHMAC, Header: "X-Signature"}
	sig := strings.TrimPrefix(ghSignature, "sha256=")
	for _, tc := range []struct {
		name   string
		w      model.WebhookTrigger
		secret string
		h      http.Header
		body   []byte
		want   bool
	}{
		{"github example", github, ghSecret, header(HeaderGitHubSignature, ghSignature), body, true},
		{"github upper-case hex", github, ghSecret, header(HeaderGitHubSignature, "sha256="+strings.ToUpper(sig)), body, true},
		{"github without prefix", github, ghSecret, header(HeaderGitHubSignature, sig), body, false},
		{"github sha1 header only", github, ghSecret, header("X-Hub-Signature", "sha1=01157ad3c39b42e4dea2b1a5c1bc9e2bfa7d3f24"), body, false},
		{"github other secret", github, "another secret", header(HeaderGitHubSignature, ghSignature), body, false},
		{"github other body", github, ghSecret, header(HeaderGitHubSignature, ghSignature), []byte("Hello, World?"), false},
		{"github no signature", github, ghSecret, header(), body, false},
		{"github truncated", github, ghSecret, header(HeaderGitHubSignature, ghSignature[:40]), body, false},
		{"github not hex", github, ghSecret, header(HeaderGitHubSignature, "sha256="+strings.Repeat("z", 64)), body, false},
		{"github empty secret", github, "", header(HeaderGitHubSignature, "sha256="+Sign("", body)), body, false},
		{"gitlab token", gitlab, "glpat-token", header(HeaderGitLabToken, "glpat-token"), body, true},
		{"gitlab wrong token", gitlab, "glpat-token", header(HeaderGitLabToken, "glpat-toke"), body, false},
		{"gitlab no token", gitlab, "glpat-token", header(), body, false},
		{"gitlab signature is not a token", gitlab, ghSecret, header(HeaderGitHubSignature, ghSignature), body, false},
		{"hmac default header", hmacDefault, ghSecret, header(HeaderSignature, sig), body, true},
		{"hmac default header with prefix", hmacDefault, ghSecret, header(HeaderSignature, ghSignature), body, true},
		{"hmac in GitHub's header", hmacDefault, ghSecret, header(HeaderGitHubSignature, ghSignature), body, false},
		{"hmac own header", hmacOwn, ghSecret, header("x-signature", sig), body, true},
		{"hmac own header, signature in the default", hmacOwn, ghSecret, header(HeaderSignature, sig), body, false},
		{"unknown provider", model.WebhookTrigger{Provider: "bitbucket"}, ghSecret, header(HeaderGitHubSignature, ghSignature), body, false},
	} {
		if got := Verify(tc.w, tc.secret, tc.h, tc.body); got != tc.want {
			t.Errorf("%s: Verify = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestDeliveryID(t *testing.T) {
	t.Parallel()
	body := []byte(`{"ref":"refs/heads/main"}`)
	sum := sha256.Sum256(body)
	bodyID := "sha256:" + hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		name, provider string
		h              http.Header
		want, err      string
	}{
		{"github", ProviderGitHub, header(HeaderGitHubDelivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958"), "72d3162e-cc78-11e3-81ab-4c9367dc0958", ""},
		{"github ignores the idempotency key", ProviderGitHub, header(HeaderIdempotencyKey, "k1"), bodyID, ""},
		{"gitlab idempotency key before the event uuid", ProviderGitLab, header(HeaderGitLabDelivery, "u1", HeaderIdempotencyKey, "k1"), "k1", ""},
		{"gitlab uuid", ProviderGitLab, header(HeaderGitLabDelivery, "u1"), "u1", ""},
		{"gitlab idempotency key", ProviderGitLab, header(HeaderIdempotencyKey, "k1"), "k1", ""},
		{"hmac", ProviderHMAC, header(HeaderDelivery, "build-42", HeaderIdempotencyKey, "k1"), "build-42", ""},
		{"hmac idempotency key", ProviderHMAC, header(HeaderIdempotencyKey, "k1"), "k1", ""},
		{"none: the body's hash", ProviderHMAC, header(), bodyID, ""},
		{"too long", ProviderHMAC, header(HeaderDelivery, strings.Repeat("a", MaxDeliveryID+1)), "", "at most 128"},
		{"spaces", ProviderGitHub, header(HeaderGitHubDelivery, "a b"), "", "printable ASCII"},
		{"not ASCII", ProviderGitLab, header(HeaderGitLabDelivery, "é"), "", "printable ASCII"},
	} {
		got, err := DeliveryID(tc.provider, tc.h, body)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: DeliveryID error = %v, want %q", tc.name, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s: DeliveryID = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestOnHook(t *testing.T) {
	t.Parallel()
	wh := func(name, hook string) model.TriggerSpec {
		return model.TriggerSpec{Name: name, Webhook: &model.WebhookTrigger{Hook: hook, Provider: ProviderHMAC}}
	}
	pipelines := []model.Pipeline{
		{Name: "a", Application: "shop", Triggers: []model.TriggerSpec{wh("ci", ""), wh("push", "github"), {Name: "github", Schedule: &model.ScheduleTrigger{Cron: "@daily"}}}},
		{Name: "b", Application: "shop", Triggers: []model.TriggerSpec{wh("github", "")}},
	}
	var keys []string
	for _, r := range OnHook(pipelines, "github") {
		keys = append(keys, r.Key())
	}
	if got := strings.Join(keys, " "); got != "shop/a/push shop/b/github" {
		t.Errorf("OnHook(github) = %s, want shop/a/push shop/b/github (the schedule named github listens on no hook)", got)
	}
	if got := OnHook(pipelines, "ci"); len(got) != 1 || got[0].Key() != "shop/a/ci" {
		t.Errorf("OnHook(ci) = %v, want the trigger named ci (hook defaults to the name)", got)
	}
	if got := OnHook(pipelines, "nope"); got != nil {
		t.Errorf("OnHook(nope) = %v, want none", got)
	}
}

func TestWebhookFiring(t *testing.T) {
	t.Parallel()
	ref := Ref{Pipeline: model.Pipeline{Name: "release", Application: "shop"},
		Spec: model.TriggerSpec{Name: "push", Webhook: &model.WebhookTrigger{Provider: ProviderGitHub}}}
	sha := "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
	payload := map[string]any{"ref": "refs/heads/main", "after": sha, "head_commit": map[string]any{"timestamp": "2026-12-04T10:00:00+01:00"}}
	h := header(HeaderGitHubEvent, "push", HeaderGitHubSignature, "sha256=x", "X-Hub-Signature", "sha1=x",
		"Authorization", "Bearer y", "Cookie", "c=1", "User-Agent", "GitHub-Hookshot/1", "X-Multi", "a")
	h.Add("X-Multi", "b")
	f := WebhookFiring(ref, WebhookDelivery{Hook: "github", DeliveryID: "d1", Header: h, Payload: payload, JSON: []byte(`{"ref":"refs/heads/main"}`)})
	if f.DeliveryID != "d1" || f.Ref.Key() != "shop/release/push" || f.Record.Kind != "webhook" || string(f.Record.Payload) != `{"ref":"refs/heads/main"}` {
		t.Errorf("firing = %+v", f)
	}
	headers := f.Input["headers"].(map[string]string)
	for _, secret := range []string{"x-hub-signature-256", "x-hub-signature", "authorization", "cookie"} {
		if _, ok := headers[secret]; ok {
			t.Errorf("input headers show %s", secret)
		}
	}
	if headers["user-agent"] != "GitHub-Hookshot/1" || headers["x-github-event"] != "push" || headers["x-multi"] != "a, b" {
		t.Errorf("input headers = %v", headers)
	}
	if f.Input["hook"] != "github" || f.Input["payload"].(map[string]any)["ref"] != "refs/heads/main" {
		t.Errorf("input = %v", f.Input)
	}
	want := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	if f.Record.CommitSHA != sha || f.Record.CommitTime == nil || !f.Record.CommitTime.Equal(want) {
		t.Errorf("record commit = %s at %v, want %s at %v", f.Record.CommitSHA, f.Record.CommitTime, sha, want)
	}

	// A deleted branch (after is zeros) and other events name no commit.
	payload["after"] = strings.Repeat("0", 40)
	if f := WebhookFiring(ref, WebhookDelivery{Header: h, Payload: payload}); f.Record.CommitSHA != "" {
		t.Errorf("a deleted branch gave commit %s", f.Record.CommitSHA)
	}
	payload["after"] = sha
	if f := WebhookFiring(ref, WebhookDelivery{Header: header(HeaderGitHubEvent, "release"), Payload: payload}); f.Record.CommitSHA != "" {
		t.Errorf("a release event gave commit %s", f.Record.CommitSHA)
	}
	// An hmac trigger's own signature header is hidden too.
	ref.Spec.Webhook = &model.WebhookTrigger{Provider: ProviderHMAC, Header: "X-Signature"}
	f = WebhookFiring(ref, WebhookDelivery{Header: header("X-Signature", "abc", "X-Gennaker-Signature", "def"), Payload: map[string]any{}})
	if hs := f.Input["headers"].(map[string]string); len(hs) != 0 {
		t.Errorf("input headers = %v, want the signatures hidden", hs)
	}
}

func TestIsPing(t *testing.T) {
	t.Parallel()
	if !IsPing(ProviderGitHub, header(HeaderGitHubEvent, "ping")) || IsPing(ProviderHMAC, header(HeaderGitHubEvent, "ping")) || IsPing(ProviderGitHub, header(HeaderGitHubEvent, "push")) {
		t.Error("IsPing: only GitHub's ping event is a ping")
	}
}
