package oidcenv_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gennaker/gennaker/test/oidcenv"
)

const redirectURI = "http://127.0.0.1:1/auth/callback" // never requested: LoginHTTP stops before it

var users = []oidcenv.User{
	{Username: "alice", Password: "alice-pw", Email: "alice@example.com", Name: "Alice Example", Groups: []string{"deployers", "admins"}},
	{Username: "bob", Password: "bob-pw", Email: "bob@example.com", Name: "Bob"},
}

// rp is a relying party the way gennaker's server is one: go-oidc for
// discovery and ID tokens, x/oauth2 for the code flow with PKCE.
type rp struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

func newRP(t *testing.T, ctx context.Context, p *oidcenv.Provider, redirect string) *rp {
	t.Helper()
	provider, err := oidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{
		provider: provider,
		verifier: provider.Verifier(&oidc.Config{ClientID: p.ClientID}),
		oauth: oauth2.Config{
			ClientID:     p.ClientID,
			ClientSecret: p.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  redirect,
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile", oidcenv.ScopeGroups},
		},
	}
}

// idClaims are the ID token and userinfo claims gennaker reads.
type idClaims struct {
	Subject       string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Groups        []string `json:"groups"`
}

func context10s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	p := oidcenv.Start(t, oidcenv.Options{Client: oidcenv.Client{RedirectURIs: []string{redirectURI}}})
	ctx := context10s(t)
	provider, err := oidc.NewProvider(ctx, p.Issuer) // checks that the document's issuer is p.Issuer
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var doc struct {
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		JWKSURI               string   `json:"jwks_uri"`
		ScopesSupported       []string `json:"scopes_supported"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
		IDTokenAlgs           []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.AuthorizationEndpoint != p.Issuer+"/auth" || doc.TokenEndpoint != p.Issuer+"/oauth/token" || doc.JWKSURI != p.Issuer+"/keys" {
		t.Errorf("endpoints: %+v", doc)
	}
	for _, want := range []struct {
		field string
		list  []string
		item  string
	}{
		{"scopes_supported", doc.ScopesSupported, oidcenv.ScopeGroups},
		{"scopes_supported", doc.ScopesSupported, "email"},
		{"code_challenge_methods_supported", doc.CodeChallengeMethods, "S256"},
		{"id_token_signing_alg_values_supported", doc.IDTokenAlgs, "RS256"},
	} {
		if !slices.Contains(want.list, want.item) {
			t.Errorf("%s = %v, want it to list %s", want.field, want.list, want.item)
		}
	}
}

func TestLoginAuthorizationCodePKCE(t *testing.T) {
	t.Parallel()
	p := oidcenv.Start(t, oidcenv.Options{
		Client: oidcenv.Client{RedirectURIs: []string{redirectURI}, RedirectURIGlobs: []string{"http://127.0.0.1:*/glob/callback"}},
		Users:  users,
	})
	for _, tc := range []struct {
		name, user, password, redirect string
		scopes                         []string         // default: openid email profile groups
		authStyle                      oauth2.AuthStyle // default: client_secret_basic (auto-detected)
		want                           idClaims
	}{
		{"groups", "alice", "alice-pw", redirectURI, nil, 0, idClaims{"alice", "alice@example.com", true, "Alice Example", []string{"deployers", "admins"}}},
		{"no groups, client_secret_post", "bob", "bob-pw", redirectURI, nil, oauth2.AuthStyleInParams, idClaims{"bob", "bob@example.com", true, "Bob", []string{}}},
		{"redirect URI glob", "alice", "alice-pw", "http://127.0.0.1:4321/glob/callback", nil, 0, idClaims{"alice", "alice@example.com", true, "Alice Example", []string{"deployers", "admins"}}},
		{"groups scope not asked", "alice", "alice-pw", redirectURI, []string{oidc.ScopeOpenID, "email"}, 0, idClaims{"alice", "alice@example.com", true, "", nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context10s(t)
			rp := newRP(t, ctx, p, tc.redirect)
			if tc.scopes != nil {
				rp.oauth.Scopes = tc.scopes
			}
			rp.oauth.Endpoint.AuthStyle = tc.authStyle
			state, nonce, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
			authURL := rp.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))

			back, err := p.LoginHTTP(ctx, nil, authURL, tc.user, tc.password)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if got := back.Scheme + "://" + back.Host + back.Path; got != tc.redirect {
				t.Fatalf("redirected to %s, want %s", back, tc.redirect)
			}
			if back.Query().Get("state") != state {
				t.Fatalf("state = %q, want %q", back.Query().Get("state"), state)
			}
			code := back.Query().Get("code")
			if code == "" {
				t.Fatalf("no code in %s", back)
			}

			tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			if raw == "" {
				t.Fatal("the token response has no id_token")
			}
			idt, err := rp.verifier.Verify(ctx, raw)
			if err != nil {
				t.Fatalf("verify ID token: %v", err)
			}
			if idt.Nonce != nonce {
				t.Errorf("nonce = %q, want %q", idt.Nonce, nonce)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var got idClaims
			if err := idt.Claims(&got); err != nil {
				t.Fatal(err)
			}
			checkClaims(t, "ID token", got, tc.want)

			info, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			got = idClaims{}
			if err := info.Claims(&got); err != nil {
				t.Fatal(err)
			}
			checkClaims(t, "userinfo", got, tc.want)

			// A code is good once.
			if _, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
				t.Error("the code was exchanged twice")
			}
		})
	}
}

func checkClaims(t *testing.T, what string, got, want idClaims) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s claims = %s, want %s", what, g, w)
	}
}

func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	p := oidcenv.Start(t, oidcenv.Options{Client: oidcenv.Client{RedirectURIs: []string{redirectURI}}, Users: users})
	ctx := context10s(t)
	rp := newRP(t, ctx, p, redirectURI)

	t.Run("wrong password", func(t *testing.T) {
		authURL := rp.oauth.AuthCodeURL("state", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
		back, err := p.LoginHTTP(ctx, nil, authURL, "alice", "bob-pw")
		if !errors.Is(err, oidcenv.ErrLoginRefused) {
			t.Fatalf("login with a wrong password: %v, %v; want ErrLoginRefused", back, err)
		}
		t.Log(err)
	})
	t.Run("unknown user", func(t *testing.T) {
		authURL := rp.oauth.AuthCodeURL("state", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
		if _, err := p.LoginHTTP(ctx, nil, authURL, "mallory", "alice-pw"); !errors.Is(err, oidcenv.ErrLoginRefused) {
			t.Fatalf("login as an unknown user: %v; want ErrLoginRefused", err)
		}
	})
	t.Run("PKCE verifier", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			opts []oauth2.AuthCodeOption
		}{
			{"without its verifier", nil},
			{"with another verifier", []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}},
		} {
			back, err := p.LoginHTTP(ctx, nil, rp.oauth.AuthCodeURL("state", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "alice", "alice-pw")
			if err != nil {
				t.Fatal(err)
			}
			code := back.Query().Get("code")
			if code == "" {
				t.Fatalf("no code in %s", back)
			}
			if _, err := rp.oauth.Exchange(ctx, code, tc.opts...); err == nil {
				t.Errorf("a code was exchanged %s", tc.name)
			}
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		back, err := p.LoginHTTP(ctx, nil, rp.oauth.AuthCodeURL("state", oauth2.S256ChallengeOption(verifier)), "alice", "alice-pw")
		if err != nil {
			t.Fatal(err)
		}
		code := back.Query().Get("code")
		if code == "" {
			t.Fatalf("no code in %s", back)
		}
		bad := rp.oauth
		bad.ClientSecret = "not-the-secret"
		if _, err := bad.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
			t.Error("the code was exchanged with a wrong client secret")
		}
	})
	t.Run("unregistered redirect URI", func(t *testing.T) {
		other := rp.oauth
		other.RedirectURL = "http://127.0.0.1:1/elsewhere"
		_, err := p.LoginHTTP(ctx, nil, other.AuthCodeURL("state"), "alice", "alice-pw")
		if err == nil || !strings.Contains(err.Error(), "redirect_uri") {
			t.Fatalf("an unregistered redirect URI: %v; want the provider's refusal of the redirect_uri", err)
		}
	})
}

// TestLoginPage pins what a browser test relies on: the login page is
// served on the issuer's origin at LoginPath, needs no JavaScript, sets no
// cookie, and has the documented fields.
func TestLoginPage(t *testing.T) {
	t.Parallel()
	p := oidcenv.Start(t, oidcenv.Options{Client: oidcenv.Client{RedirectURIs: []string{redirectURI}}, Users: users})
	ctx := context10s(t)
	rp := newRP(t, ctx, p, redirectURI)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, rp.oauth.AuthCodeURL("state"), nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s, Location %v (%v)", resp.Status, loc, err)
	}
	if loc.Path != oidcenv.LoginPath || loc.Query().Get("authRequestID") == "" || loc.Host != req.URL.Host {
		t.Fatalf("authorize redirected to %s, want %s?authRequestID=... on the issuer", loc, oidcenv.LoginPath)
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("authorize sets cookies: %v", c)
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	page := string(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page: %s", resp.Status)
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("the login page sets cookies: %v", c)
	}
	for _, want := range []string{
		`action="` + oidcenv.LoginPath + `"`,
		`name="` + oidcenv.LoginFieldRequestID + `" value="` + loc.Query().Get("authRequestID") + `"`,
		`id="username" name="` + oidcenv.LoginFieldUsername + `"`,
		`id="password" name="` + oidcenv.LoginFieldPassword + `" type="password"`,
		`<button type="submit">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the login page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script") {
		t.Errorf("the login page has a script:\n%s", page)
	}
}
