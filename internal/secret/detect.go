package secret

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// The rules below say which inline values look like credentials. Config
// refuses them (they would be stored and shown to every viewer) and Redact
// removes the parts of URLs they match from messages.

// compact lowercases s and drops '-', '_' and '.', so X-Api-Key, api_key
// and apikey compare alike.
func compact(s string) string { return separators.Replace(strings.ToLower(s)) }

var separators = strings.NewReplacer("-", "", "_", "", ".", "")

// CredentialParam reports whether a URL query parameter of this name
// usually carries a credential: token, key, secret, signature, password
// and the like (access_token, api-key, X-Amz-Signature, sig, code).
func CredentialParam(name string) bool {
	c := compact(name)
	switch c {
	case "key", "sig", "code", "pwd", "pass", "auth", "jwt", "apikey":
		return true
	}
	return containsAny(c, "token", "secret", "passw", "signature", "credential", "privatekey", "accesskey", "authkey") ||
		strings.HasSuffix(c, "key")
}

// CredentialHeader reports whether an HTTP header of this name usually
// carries a credential: Authorization, Proxy-Authorization, Cookie, and
// names holding token, secret, api-key, password or credential.
func CredentialHeader(name string) bool {
	c := compact(name)
	switch c {
	case "authorization", "proxyauthorization", "cookie":
		return true
	}
	return containsAny(c, "token", "secret", "apikey", "password", "passwd", "credential", "privatekey")
}

// CredentialEnvName reports whether an environment variable of this name
// usually holds a credential: its name contains PASSWORD, SECRET, TOKEN,
// API_KEY, PRIVATE_KEY or CREDENTIAL (in any case, with or without '_').
func CredentialEnvName(name string) bool {
	return containsAny(compact(name), "password", "passwd", "secret", "token", "apikey", "privatekey", "credential")
}

// containsAny reports whether s contains one of parts.
func containsAny(s string, parts ...string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// CredentialInURL says which part of an absolute URL looks like a
// credential ("" when none does): a user name or password, a query
// parameter such as token= or sig=, or the path of an incoming-webhook URL
// (Slack, Discord, Microsoft Teams, Mattermost), which is itself the secret.
func CredentialInURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.User != nil {
		return "it holds a user name or password before the host"
	}
	for name, values := range u.Query() {
		for _, v := range values {
			if v != "" && CredentialParam(name) {
				return fmt.Sprintf("its query parameter %q carries a credential", name)
			}
		}
	}
	if _, kind, ok := hookPath(hostname(u.Host), u.EscapedPath()); ok {
		return "it is a " + kind + " incoming-webhook URL, whose path is the secret"
	}
	return ""
}

// hostname is the lowercase host of an authority without its port.
func hostname(authority string) string {
	if h, _, err := net.SplitHostPort(authority); err == nil {
		authority = h
	}
	return strings.ToLower(strings.Trim(authority, "[]"))
}

// hookToken is a path segment that looks generated: Mattermost and
// Rocket.Chat hook ids are 24 to 26 letters and digits.
var hookToken = regexp.MustCompile(`^[A-Za-z0-9_-]{20,}$`)

// hookPath reports whether path, on host, is an incoming-webhook URL whose
// path holds the secret. keep is how much of path is not secret (up to and
// including the marker, such as "/services/"); kind names the service.
func hookPath(host, path string) (keep int, kind string, ok bool) {
	marker := func(m string) (int, bool) {
		i := strings.Index(path, m)
		if i < 0 || len(path) == i+len(m) {
			return 0, false
		}
		return i + len(m), true
	}
	switch {
	case host == "hooks.slack.com":
		for _, m := range []string{"/services/", "/workflows/", "/triggers/"} {
			if n, ok := marker(m); ok && strings.HasPrefix(path, m) {
				return n, "Slack", true
			}
		}
	case host == "discord.com" || host == "discordapp.com" || strings.HasSuffix(host, ".discord.com"):
		if strings.HasPrefix(path, "/api/") {
			if n, ok := marker("/webhooks/"); ok {
				return n, "Discord", true
			}
		}
	case strings.HasSuffix(host, ".webhook.office.com"):
		if n, ok := marker("/webhookb2/"); ok {
			return n, "Microsoft Teams", true
		}
	case host == "outlook.office.com" || host == "outlook.office365.com":
		if n, ok := marker("/webhook/"); ok {
			return n, "Microsoft Teams", true
		}
	}
	// Mattermost, Rocket.Chat and their like: /hooks/<generated id>.
	if n, ok := marker("/hooks/"); ok {
		next, _, _ := strings.Cut(path[n:], "/")
		if hookToken.MatchString(next) {
			return n, "Mattermost-style", true
		}
	}
	return 0, "", false
}
