package oidcenv

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The provider's login page (zitadel/oidc example/server/exampleop,
// templates/login.html) is plain HTML: no JavaScript, no cookies, the same
// origin as the issuer. The authorization endpoint (/auth) answers 302 to
// LoginPath?authRequestID=<id> (a relative Location); the page's one form
// posts (application/x-www-form-urlencoded) to LoginPath:
//
//	<input type="hidden" name="id" value="<id>">
//	<input id="username" name="username" autocomplete="username">
//	<input id="password" name="password" type="password" autocomplete="current-password">
//	<button type="submit">Login</button>
//
// A browser fills #username and #password and clicks button[type=submit].
// Good credentials answer 302 to <issuer>/callback?id=<id>, which answers 302
// to the redirect URI with code and state. Bad ones answer 200 with the same
// page and the message LoginRefusedMessage in a red <p>.
const (
	LoginPath            = "/login/username"
	LoginFieldRequestID  = "id"
	LoginFieldUsername   = "username"
	LoginFieldPassword   = "password"
	LoginRefusedMessage  = "username or password wrong"
	loginMaxRedirections = 10
)

// ErrLoginRefused is returned by LoginHTTP when the provider shows its login
// page again instead of accepting the username and password.
var ErrLoginRefused = errors.New("oidcenv: the provider refused the login")

// LoginHTTP logs in as username over HTTP, the way a browser does without
// JavaScript. It GETs authURL (the provider's authorization URL, or a
// relying party's URL that redirects to it), follows redirects to the login
// page, posts the login form, and follows the provider's redirects until one
// leaves the provider. It returns that URL, the redirect URI with `code` and
// `state` (or `error`), without requesting it: the caller exchanges the code,
// or GETs the URL with the same client to hand it to its relying party.
//
// hc may be nil (a client with a cookie jar and a 10s timeout); LoginHTTP
// uses a copy of it that does not follow redirects by itself, so the jar is
// shared with the caller's.
func (p *Provider) LoginHTTP(ctx context.Context, hc *http.Client, authURL, username, password string) (*url.URL, error) {
	if hc == nil {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return nil, err
		}
		hc = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	issuer, err := url.Parse(p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidcenv: issuer %q: %w", p.Issuer, err)
	}
	onProvider := func(u *url.URL) bool { return u.Scheme == issuer.Scheme && u.Host == issuer.Host }

	// To the login page.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	page, pageURL, back, err := follow(&c, req, onProvider)
	if err != nil || back != nil {
		return back, callbackError(back, err)
	}
	form, err := parseLoginForm(page, pageURL)
	if err != nil {
		return nil, err
	}

	// Post the form, then back to the relying party.
	form.values.Set(LoginFieldUsername, username)
	form.values.Set(LoginFieldPassword, password)
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, form.action.String(), strings.NewReader(form.values.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	page, _, back, err = follow(&c, req, onProvider)
	if err != nil || back != nil {
		return back, callbackError(back, err)
	}
	if m := loginErrorRE.FindStringSubmatch(page); m != nil && strings.TrimSpace(m[1]) != "" {
		return nil, fmt.Errorf("%w for %q: %s", ErrLoginRefused, username, html.UnescapeString(strings.TrimSpace(m[1])))
	}
	return nil, fmt.Errorf("%w for %q: the login page was shown again", ErrLoginRefused, username)
}

// follow sends req and follows redirects until a page is served (its body
// and URL are returned) or the provider redirects off itself (back).
func follow(c *http.Client, req *http.Request, onProvider func(*url.URL) bool) (page string, pageURL, back *url.URL, err error) {
	for range loginMaxRedirections {
		resp, err := c.Do(req)
		if err != nil {
			return "", nil, nil, fmt.Errorf("oidcenv: %s %s: %w", req.Method, req.URL, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return "", nil, nil, fmt.Errorf("oidcenv: %s %s: %w", req.Method, req.URL, err)
		}
		if resp.StatusCode < 300 || resp.StatusCode >= 400 {
			if resp.StatusCode != http.StatusOK {
				return "", nil, nil, fmt.Errorf("oidcenv: %s %s: %s: %s", req.Method, req.URL, resp.Status, snippet(body))
			}
			return string(body), req.URL, nil, nil
		}
		loc, err := resp.Location()
		if err != nil {
			return "", nil, nil, fmt.Errorf("oidcenv: %s %s: %s without a Location", req.Method, req.URL, resp.Status)
		}
		if onProvider(req.URL) && !onProvider(loc) {
			return "", nil, loc, nil
		}
		req, err = http.NewRequestWithContext(req.Context(), http.MethodGet, loc.String(), nil)
		if err != nil {
			return "", nil, nil, err
		}
	}
	return "", nil, nil, fmt.Errorf("oidcenv: more than %d redirects from %s", loginMaxRedirections, req.URL)
}

// callbackError is err, or the error a redirect back to the relying party
// carries (RFC 6749 section 4.1.2.1).
func callbackError(back *url.URL, err error) error {
	if err != nil || back == nil {
		return err
	}
	if q := back.Query(); q.Has("error") {
		return fmt.Errorf("oidcenv: the provider redirected back with error %q: %s", q.Get("error"), q.Get("error_description"))
	}
	return nil
}

type loginForm struct {
	action *url.URL
	values url.Values // the form's fields and their values as served
}

var (
	formRE       = regexp.MustCompile(`(?is)<form\b[^>]*>.*?</form>`)
	actionRE     = regexp.MustCompile(`(?i)\baction="([^"]*)"`)
	inputRE      = regexp.MustCompile(`(?i)<input\b[^>]*>`)
	nameRE       = regexp.MustCompile(`(?i)\bname="([^"]*)"`)
	valueRE      = regexp.MustCompile(`(?i)\bvalue="([^"]*)"`)
	loginErrorRE = regexp.MustCompile(`(?is)<p style="color:\s*red[^"]*">(.*?)</p>`)
)

// parseLoginForm reads the login page's form: its action and its inputs.
func parseLoginForm(page string, pageURL *url.URL) (loginForm, error) {
	form := formRE.FindString(page)
	if form == "" {
		return loginForm{}, fmt.Errorf("oidcenv: %s is not the login page (no form): %s", pageURL, snippet([]byte(page)))
	}
	f := loginForm{action: pageURL, values: url.Values{}}
	if m := actionRE.FindStringSubmatch(form); m != nil {
		a, err := pageURL.Parse(html.UnescapeString(m[1]))
		if err != nil {
			return loginForm{}, fmt.Errorf("oidcenv: login form action %q: %w", m[1], err)
		}
		f.action = a
	}
	for _, in := range inputRE.FindAllString(form, -1) {
		n := nameRE.FindStringSubmatch(in)
		if n == nil {
			continue
		}
		v := ""
		if m := valueRE.FindStringSubmatch(in); m != nil {
			v = html.UnescapeString(m[1])
		}
		f.values.Set(html.UnescapeString(n[1]), v)
	}
	for _, field := range []string{LoginFieldRequestID, LoginFieldUsername, LoginFieldPassword} {
		if !f.values.Has(field) {
			return loginForm{}, fmt.Errorf("oidcenv: the login form at %s has no %q field; its page changed?", pageURL, field)
		}
	}
	return f, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
