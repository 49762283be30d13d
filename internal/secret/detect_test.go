package secret

import (
	"strings"
	"testing"
)

func TestCredentialInURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want string // a word of the reason; "" for none
	}{
		{"https://ci.example.com/hooks/deploy", ""},
		{"https://ci.example.com/hooks/deploy?job={{params.job}}&version=1", ""},
		{"https://ci.example.com/status?token=", ""},
		{"https://deploy:s3cret@ci.example.com/hook", "user name or password"},
		{"https://ghp_xyz@ci.example.com/hook", "user name or password"},
		{"https://ci.example.com/hook?token=abc", `"token"`},
		{"https://ci.example.com/hook?access_token=abc", `"access_token"`},
		{"https://ci.example.com/hook?api-key=abc", `"api-key"`},
		{"https://ci.example.com/hook?apikey=abc", `"apikey"`},
		{"https://ci.example.com/hook?key=abc", `"key"`},
		{"https://ci.example.com/hook?client_secret=abc", `"client_secret"`},
		{"https://ci.example.com/hook?password=abc", `"password"`},
		{"https://s3.example.com/o?X-Amz-Signature=abc", `"X-Amz-Signature"`},
		{"https://fn.azurewebsites.net/api/deploy?code=abc", `"code"`},
		{"https://hooks.slack.com/services/T000/B000/XXXX", "Slack"},
		{"https://hooks.slack.com/workflows/T000/A1/2/abc", "Slack"},
		{"https://discord.com/api/webhooks/123/abc", "Discord"},
		{"https://discordapp.com/api/webhooks/123/abc", "Discord"},
		{"https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d", "Microsoft Teams"},
		{"https://outlook.office.com/webhook/a@b/IncomingWebhook/c/d", "Microsoft Teams"},
		{"https://chat.example.com/hooks/xi30fysfm7nbtj6mbcowq3rz6h", "Mattermost"},
		{"https://hooks.slack.com/", ""},
		{"not a url", ""},
	}
	for _, tt := range tests {
		got := CredentialInURL(tt.url)
		switch {
		case tt.want == "" && got != "":
			t.Errorf("CredentialInURL(%q) = %q, want none", tt.url, got)
		case tt.want != "" && !strings.Contains(got, tt.want):
			t.Errorf("CredentialInURL(%q) = %q, want it to name %s", tt.url, got, tt.want)
		}
	}
}

func TestCredentialHeader(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Authorization": true, "authorization": true, "Proxy-Authorization": true, "Cookie": true,
		"X-Auth-Token": true, "Private-Token": true, "X-Api-Key": true, "X-API-KEY": true, "apikey": true,
		"X-Client-Secret": true, "X-Password": true,
		"Content-Type": false, "X-Team": false, "Accept": false, "X-Request-Id": false, "Idempotency-Key": false,
	} {
		if got := CredentialHeader(name); got != want {
			t.Errorf("CredentialHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCredentialEnvName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "CLIENT_SECRET": true, "GITHUB_TOKEN": true, "STRIPE_API_KEY": true,
		"APIKEY": true, "TLS_PRIVATE_KEY": true, "AWS_CREDENTIALS": true, "db_password": true,
		"LOG_LEVEL": false, "PORT": false, "FEATURE_X": false, "KEYBOARD": false, "DB_HOST": false,
	} {
		if got := CredentialEnvName(name); got != want {
			t.Errorf("CredentialEnvName(%q) = %v, want %v", name, got, want)
		}
	}
}
