package secret

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Redacted replaces what Redact removes.
const Redacted = "***"

// MinValueLen is the shortest value Redact replaces: shorter ones would
// blank out ordinary words.
const MinValueLen = 4

// Redact returns msg with every value (of at least MinValueLen bytes, also
// in its URL-escaped and JSON-escaped forms) replaced by "***", and with the
// credential-looking parts of any URL in it replaced too: userinfo becomes
// "***@", the values of token-like query parameters "***", and the secret
// path of Slack, Discord, Teams and Mattermost-style hook URLs
// ".../services/***".
func Redact(msg string, values ...string) string {
	return replaceForms(redactURLs(msg), valueForms(values))
}

// Redactor redacts messages with a fixed set of values.
type Redactor struct {
	values []string
	// forms are the values' forms to replace, longest first (valueForms),
	// worked out when values change rather than at every message.
	forms []string
}

// NewRedactor remembers the values to redact, ignoring short ones.
func NewRedactor(values ...string) *Redactor {
	r := &Redactor{}
	r.Add(values...)
	return r
}

// Add remembers more values. A value that is a URL brings its parts too
// (the path and query, the user name and password), since a receiver may
// echo its request path without the rest; an authorization value
// ("Bearer TOKEN", "Basic ...") brings its credential alone, since a
// receiver may echo the token without its scheme.
func (r *Redactor) Add(values ...string) {
	for _, v := range values {
		r.add(v)
		if cred, ok := authCredential(v); ok {
			r.add(cred)
		}
		if u, err := url.Parse(v); err == nil && u.Host != "" {
			r.add(u.RequestURI(), u.EscapedPath(), u.Path, u.RawQuery)
			r.addUser(u)
		}
	}
	r.forms = valueForms(r.values)
}

// AddURL remembers the credential-looking parts of a URL written inline:
// its user name and password, the values of token-like query parameters
// and the secret path of a hook URL (see CredentialInURL).
func (r *Redactor) AddURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return
	}
	r.addUser(u)
	for name, values := range u.Query() {
		if CredentialParam(name) {
			r.add(values...)
		}
	}
	if keep, _, ok := hookPath(hostname(u.Host), u.EscapedPath()); ok {
		r.add(u.EscapedPath()[keep:])
	}
	r.forms = valueForms(r.values)
}

func (r *Redactor) addUser(u *url.URL) {
	if u.User != nil {
		pw, _ := u.User.Password()
		r.add(u.User.Username(), pw)
	}
}

func (r *Redactor) add(values ...string) {
	for _, v := range values {
		if len(v) >= MinValueLen && !slices.Contains(r.values, v) {
			r.values = append(r.values, v)
		}
	}
}

// Redact is Redact(msg, the remembered values...). A nil Redactor only
// redacts URLs.
func (r *Redactor) Redact(msg string) string {
	if r == nil {
		return Redact(msg)
	}
	return replaceForms(redactURLs(msg), r.forms)
}

// replaceForms replaces every form (of valueForms) until none is left:
// a replacement could complete another occurrence ("*****" holds "****"
// again after one pass), and each pass makes the text shorter, so the loop ends.
func replaceForms(msg string, forms []string) string {
	for changed := true; changed; {
		changed = false
		for _, f := range forms {
			if strings.Contains(msg, f) {
				msg = strings.ReplaceAll(msg, f, Redacted)
				changed = true
			}
		}
	}
	return msg
}

// valueForms lists each value as written, URL-escaped and JSON-escaped,
// longest first so a value inside another is not replaced piecemeal.
func valueForms(values []string) []string {
	var forms []string
	add := func(f string) {
		if len(f) >= MinValueLen && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	for _, v := range values {
		if len(v) < MinValueLen {
			continue
		}
		add(v)
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
		if b, err := json.Marshal(v); err == nil {
			add(string(b[1 : len(b)-1]))
		}
	}
	slices.SortStableFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return forms
}

// urlPattern finds URLs in free text; quotes, angle brackets and spaces end them.
var urlPattern = regexp.MustCompile("(?i)\\b[a-z][a-z0-9+.-]*://[^\\s\"'<>`]+")

func redactURLs(msg string) string {
	if !strings.Contains(msg, "://") {
		return msg
	}
	return urlPattern.ReplaceAllStringFunc(msg, func(u string) string {
		// Punctuation that ends a sentence is not part of the URL.
		trimmed := strings.TrimRight(u, ".,;:!?)]}")
		return redactURL(trimmed) + u[len(trimmed):]
	})
}

// redactURL redacts one URL as written, without re-encoding the rest of it.
func redactURL(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	scheme, rest := u[:i+3], u[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		authority = Redacted + authority[at:]
	}
	host := hostname(authority[strings.LastIndexByte(authority, '@')+1:])

	end = strings.IndexAny(tail, "?#")
	if end < 0 {
		end = len(tail)
	}
	path, after := tail[:end], tail[end:]
	if keep, _, ok := hookPath(host, path); ok {
		path = path[:keep] + Redacted
	}
	if strings.HasPrefix(after, "?") {
		end = strings.IndexByte(after, '#')
		if end < 0 {
			end = len(after)
		}
		after = "?" + redactQuery(after[1:end]) + after[end:]
	}
	return scheme + authority + path + after
}

// redactQuery replaces the values of credential-looking parameters.
func redactQuery(q string) string {
	params := strings.Split(q, "&")
	for i, p := range params {
		name, value, ok := strings.Cut(p, "=")
		if !ok || value == "" {
			continue
		}
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if CredentialParam(name) {
			params[i] = p[:len(p)-len(value)] + Redacted
		}
	}
	return strings.Join(params, "&")
}

// RedactJSON redacts every string in a JSON document (keys too). It returns
// b itself when nothing changes, and b redacted as text when it is not JSON.
func (r *Redactor) RedactJSON(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return []byte(r.Redact(string(b)))
	}
	if _, err := dec.Token(); err != io.EOF {
		// More than one JSON value: what follows the first would be
		// returned unredacted.
		return []byte(r.Redact(string(b)))
	}
	changed := false
	doc = r.redactTree(doc, &changed)
	if !changed {
		return b
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return []byte(r.Redact(string(b)))
	}
	return out
}

func (r *Redactor) redactTree(v any, changed *bool) any {
	switch v := v.(type) {
	case string:
		out := r.Redact(v)
		*changed = *changed || out != v
		return out
	case []any:
		for i := range v {
			v[i] = r.redactTree(v[i], changed)
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, child := range v {
			rk := r.Redact(k)
			*changed = *changed || rk != k
			out[rk] = r.redactTree(child, changed)
		}
		return out
	}
	return v
}

// authCredential returns the credential of an HTTP authorization value,
// "SCHEME CREDENTIAL" (RFC 9110 section 11.4: a token, one space, the
// rest), when the credential is long enough to be a secret.
func authCredential(v string) (string, bool) {
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok || scheme == "" || len(cred) < 8 || strings.ContainsAny(cred, " \t") {
		return "", false
	}
	for _, c := range scheme {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "", false
		}
	}
	return cred, true
}
