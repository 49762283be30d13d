package secret

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		msg    string
		values []string
		want   string
	}{
		{
			name: "a resolved value is replaced wherever it appears",
			msg:  `POST answered 401: {"error":"token xoxb-1234-abcd is revoked"}`, values: []string{"xoxb-1234-abcd"},
			want: `POST answered 401: {"error":"token *** is revoked"}`,
		},
		{
			name: "values shorter than four bytes are left alone",
			msg:  "the build is ok", values: []string{"ok", "is"},
			want: "the build is ok",
		},
		{
			name: "a value inside another is replaced whole, longest first",
			msg:  "hunter2hunter2 and hunter2", values: []string{"hunter2", "hunter2hunter2"},
			want: "*** and ***",
		},
		{
			name: "a value echoed URL-escaped is replaced",
			msg:  "GET https://ci.example.com/x?q=a%2Fb%3Dc answered 404", values: []string{"a/b=c"},
			want: "GET https://ci.example.com/x?q=*** answered 404",
		},
		{
			name: "a value echoed JSON-escaped is replaced",
			msg:  `{"echo":"say \"hi\" now"}`, values: []string{`say "hi" now`},
			want: `{"echo":"***"}`,
		},
		{
			name: "a replacement that completes another occurrence is replaced again",
			msg:  "*****", values: []string{"****"},
			want: "***",
		},
		{
			name: "a secret URL as a value disappears whole",
			msg:  "POST https://ci.example.com/hooks/deploy answered 500", values: []string{"https://ci.example.com/hooks/deploy"},
			want: "POST *** answered 500",
		},
		{
			name: "userinfo",
			msg:  "GET https://deploy:s3cr3t@ci.example.com/status answered 500",
			want: "GET https://***@ci.example.com/status answered 500",
		},
		{
			name: "a user name alone",
			msg:  `Post "https://ghp_abcdef@api.example.com/x": EOF`,
			want: `Post "https://***@api.example.com/x": EOF`,
		},
		{
			name: "token-like query parameters",
			msg:  "GET https://ci.example.com/status?build=17&access_token=abc123&sig=zzz&api-key=k1&page=2 answered 500",
			want: "GET https://ci.example.com/status?build=17&access_token=***&sig=***&api-key=***&page=2 answered 500",
		},
		{
			name: "an escaped parameter name",
			msg:  "https://x.example.com/?X%2DAmz%2DSignature=abcdef",
			want: "https://x.example.com/?X%2DAmz%2DSignature=***",
		},
		{
			name: "an empty credential parameter stays",
			msg:  "https://x.example.com/?token=&a=b#frag",
			want: "https://x.example.com/?token=&a=b#frag",
		},
		{
			name: "the Slack hook path",
			msg:  "POST https://hooks.slack.com/services/T000/B000/XXXXXXXX answered 500 Internal Server Error: invalid_token",
			want: "POST https://hooks.slack.com/services/*** answered 500 Internal Server Error: invalid_token",
		},
		{
			name: "a Slack workflow trigger",
			msg:  "https://hooks.slack.com/triggers/T0/123/abc",
			want: "https://hooks.slack.com/triggers/***",
		},
		{
			name: "the Discord hook path",
			msg:  "POST https://discord.com/api/webhooks/1234/abcDEF answered 404.",
			want: "POST https://discord.com/api/webhooks/*** answered 404.",
		},
		{
			name: "the Teams hook path",
			msg:  "POST https://contoso.webhook.office.com/webhookb2/aaaa@bbbb/IncomingWebhook/cccc/dddd failed",
			want: "POST https://contoso.webhook.office.com/webhookb2/*** failed",
		},
		{
			name: "a Teams workflow URL by its sig parameter",
			msg:  "https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=SIGNATURE",
			want: "https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=***",
		},
		{
			name: "a Mattermost hook id",
			msg:  "(https://chat.example.com/hooks/xi30fysfm7nbtj6mbcowq3rz6h)",
			want: "(https://chat.example.com/hooks/***)",
		},
		{
			name: "an ordinary hook path stays",
			msg:  "POST https://ci.example.com/hooks/deploy answered 400",
			want: "POST https://ci.example.com/hooks/deploy answered 400",
		},
		{
			name: "several URLs in one message",
			msg:  "https://a:b@x.example.com and https://hooks.slack.com/services/T/B/C",
			want: "https://***@x.example.com and https://hooks.slack.com/services/***",
		},
		{name: "no URL", msg: "nothing to see", want: "nothing to see"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Redact(tt.msg, tt.values...); got != tt.want {
				t.Errorf("Redact(%q, %q)\n got %q\nwant %q", tt.msg, tt.values, got, tt.want)
			}
		})
	}
}

func TestRedactorRemembersValues(t *testing.T) {
	t.Parallel()
	r := NewRedactor("abc", "first-secret")
	r.Add("second-secret", "first-secret")
	got := r.Redact("first-secret, second-secret, abc")
	if got != "***, ***, abc" {
		t.Errorf("got %q", got)
	}
	var none *Redactor
	if got := none.Redact("https://u:p@x.example.com"); got != "https://***@x.example.com" {
		t.Errorf("a nil Redactor: got %q, want URLs still redacted", got)
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("POST https://hooks.slack.com/services/T/B/X answered 500", "hooks.slack.com/services/T/B/X")
	f.Add("https://u:p@h/?token=x&sig=y#z", "token")
	f.Add("*****", "****")
	f.Add(`{"a":"b\"c"}`, `b"c`)
	f.Add("x://@@@?&&==#", "@@@?")
	f.Add("\xff\xfe://\x00", "\xff\xfe\xfd\xfc")
	f.Fuzz(func(t *testing.T, msg, value string) {
		out := Redact(msg, value)
		if len(value) >= MinValueLen && strings.Contains(out, value) {
			t.Errorf("Redact(%q, %q) = %q still holds the value", msg, value, out)
		}
		// Redacting twice changes nothing more.
		if again := Redact(out, value); again != out {
			t.Errorf("Redact is not idempotent: %q then %q", out, again)
		}
	})
}

func TestRedactorURLParts(t *testing.T) {
	t.Parallel()
	r := NewRedactor("https://deploy-bot:pa55word@ci.example.com/hook/k3y-in-the-path?build=17")
	got := r.Redact("POST /hook/k3y-in-the-path?build=17 for deploy-bot, then /hook/k3y-in-the-path, with pa55word")
	if want := "POST *** for ***, then ***, with ***"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	inline := NewRedactor()
	inline.AddURL("https://hooks.slack.com/services/T0/B0/XSECRETX?token=abcd1234&page=2")
	inline.AddURL("https://ci.example.com/hooks/deploy")
	inline.AddURL("not a url")
	got = inline.Redact("you sent /services/T0/B0/XSECRETX?token=abcd1234 to /hooks/deploy page=2")
	if want := "you sent /services/***?token=*** to /hooks/deploy page=2"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestRedactJSON(t *testing.T) {
	t.Parallel()
	r := NewRedactor("tok-8f2a61c9")
	tests := []struct{ in, want string }{
		{`{"body":"echo tok-8f2a61c9","n":12345678901234567890,"list":["x","tok-8f2a61c9"]}`,
			`{"body":"echo ***","list":["x","***"],"n":12345678901234567890}`},
		{`{"called":true,"statusCode":200}`, `{"called":true,"statusCode":200}`},
		{`{"url":"https://u:p@h.example.com/"}`, `{"url":"https://***@h.example.com/"}`},
		{`not json tok-8f2a61c9`, `not json ***`},
		// What follows a first JSON value is not dropped from redaction.
		{`{"called":true} tok-8f2a61c9`, `{"called":true} ***`},
		{`{"a":"x"}{"b":"tok-8f2a61c9"}`, `{"a":"x"}{"b":"***"}`},
		{``, ``},
	}
	for _, tt := range tests {
		if got := string(r.RedactJSON([]byte(tt.in))); got != tt.want {
			t.Errorf("RedactJSON(%s)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

// TestRedactorHidesTheCredentialOfAnAuthorizationValue: a receiver that
// echoes the token of "Bearer TOKEN" without its scheme does not leak it
// (webhook stages and web checks both add header values this way).
func TestRedactorHidesTheCredentialOfAnAuthorizationValue(t *testing.T) {
	r := NewRedactor("Bearer eyJhbGciOi.sekret-token", "Basic dXNlcjpwYXNzd29yZA==", "not a credential at all")
	got := r.Redact(`invalid token "eyJhbGciOi.sekret-token"; basic dXNlcjpwYXNzd29yZA== refused; keep "a credential at all"`)
	for _, leak := range []string{"eyJhbGciOi.sekret-token", "dXNlcjpwYXNzd29yZA=="} {
		if strings.Contains(got, leak) {
			t.Errorf("%q leaks %q", got, leak)
		}
	}
	if !strings.Contains(got, "a credential at all") {
		t.Errorf("%q redacted words that are no credential", got)
	}
}
