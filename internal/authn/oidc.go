package authn

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
)

// OIDCConfig configures login through an OpenID Connect provider
// (authorization code flow with PKCE).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (its discovery document is at
	// Issuer/.well-known/openid-configuration).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's callback, e.g. https://gennaker.example.com/auth/oidc/callback.
	RedirectURL string
	// Scopes to ask for besides openid (default: email, profile, groups).
	Scopes []string
	// GroupsClaim names the ID token claim that lists the user's groups (default "groups").
	GroupsClaim string
	// HTTPClient reaches the provider (default http.DefaultClient).
	HTTPClient *http.Client
}

// OIDC logs people in through an OpenID Connect provider. The provider is
// discovered at the first login, not at start, so the server starts while
// the provider is down.
type OIDC struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewOIDC checks cfg and returns an OIDC login.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: give the issuer URL, the client ID and the redirect URL (--oidc-issuer, --oidc-client-id, --oidc-redirect-url)")
	}
	if _, err := url.Parse(cfg.RedirectURL); err != nil {
		return nil, fmt.Errorf("oidc: redirect URL %q: %w", cfg.RedirectURL, err)
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"email", "profile", "groups"}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	return &OIDC{cfg: cfg}, nil
}

func (o *OIDC) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, o.cfg.HTTPClient)
}

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("the OIDC provider %s does not answer its discovery document (%v): check --oidc-issuer and that the provider is up", o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, o.cfg.Scopes...),
	}
}

// stateCookie carries a login's state, nonce, PKCE verifier and where to go
// after it, between Start and Callback. It is HttpOnly and lives for the
// login only; an attacker's page can neither read nor set it.
const stateCookie = "gennaker_oidc"

const loginWindow = 10 * time.Minute

type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

// Start redirects the browser to the provider's login page.
func (o *OIDC) Start(w http.ResponseWriter, r *http.Request, next string, secure bool) error {
	p, err := o.discover(r.Context())
	if err != nil {
		return err
	}
	st := loginState{State: auth.NewSecret(), Nonce: auth.NewSecret(), Verifier: oauth2.GenerateVerifier(), Next: next}
	b, _ := json.Marshal(st)
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/auth/oidc/",
		MaxAge: int(loginWindow / time.Second), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
	to := o.oauth(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

// Callback finishes a login: it checks the state, exchanges the code,
// verifies the ID token (issuer, audience, expiry, signature, nonce) and
// returns the user's identity and where to go next.
func (o *OIDC) Callback(w http.ResponseWriter, r *http.Request, secure bool) (model.Identity, string, error) {
	c, err := r.Cookie(stateCookie)
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	if err != nil {
		return model.Identity{}, "", &BadCredential{"the login took longer than 10 minutes or was started in another browser: log in again"}
	}
	var st loginState
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || json.Unmarshal(raw, &st) != nil || st.State == "" {
		return model.Identity{}, "", &BadCredential{"the login state cookie is damaged: log in again"}
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return model.Identity{}, "", &BadCredential{fmt.Sprintf("the identity provider refused the login: %s %s", e, q.Get("error_description"))}
	}
	if !equalHashes(q.Get("state"), st.State) {
		return model.Identity{}, "", &BadCredential{"the login's state does not match: it was not started by this browser; log in again"}
	}
	p, err := o.discover(r.Context())
	if err != nil {
		return model.Identity{}, "", err
	}
	ctx := o.ctx(r.Context())
	tok, err := o.oauth(p).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return model.Identity{}, "", &BadCredential{fmt.Sprintf("exchanging the login code with the identity provider failed: %v", err)}
	}
	rawID, ok := tok.Extra("id_token").(string)
	if !ok {
		return model.Identity{}, "", &BadCredential{"the identity provider returned no ID token: check that the client may use the openid scope"}
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}).Verify(ctx, rawID)
	if err != nil {
		return model.Identity{}, "", &BadCredential{fmt.Sprintf("the ID token does not verify: %v", err)}
	}
	if !equalHashes(idt.Nonce, st.Nonce) {
		return model.Identity{}, "", &BadCredential{"the ID token's nonce does not match this login: log in again"}
	}
	id, err := o.identity(idt)
	return id, st.Next, err
}

// maxSubject bounds the subject recorded as actor everywhere.
const maxSubject = 256

func (o *OIDC) identity(idt *oidc.IDToken) (model.Identity, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return model.Identity{}, fmt.Errorf("reading the ID token's claims: %w", err)
	}
	return identityFromClaims(idt.Subject, claims, o.cfg.GroupsClaim)
}

// identityFromClaims makes a user's identity from a verified ID token's
// subject and claims.
func identityFromClaims(sub string, claims map[string]any, groupsClaim string) (model.Identity, error) {
	id := model.Identity{Kind: model.IdentityUser, Subject: sub}
	// The email is the subject only when the provider vouches for it:
	// email_verified must be true (some providers send "true"). Otherwise
	// someone could register an unverified address at the provider and
	// take the grants of its real owner; such a user is known by the
	// provider's own subject instead.
	if email, _ := claims["email"].(string); email != "" && verified(claims["email_verified"]) {
		id.Subject = lowerASCII(email)
	}
	id.Name, _ = claims["name"].(string)
	switch g := claims[groupsClaim].(type) {
	case []any:
		for _, v := range g {
			if s, ok := v.(string); ok && s != "" && len(s) <= maxSubject {
				id.Groups = append(id.Groups, s)
			}
		}
	case string:
		id.Groups = []string{g}
	}
	if id.Subject == "" || len(id.Subject) > maxSubject || reserved(id.Subject) || !printable(id.Subject) {
		return model.Identity{}, &BadCredential{fmt.Sprintf("the ID token names no usable user (subject %q): gennaker needs an email or a subject of at most %d characters", id.Subject, maxSubject)}
	}
	if len(id.Name) > maxSubject || !printable(id.Name) {
		id.Name = ""
	}
	return id, nil
}

// reserved reports whether a subject looks like one of gennaker's own:
// a token ("token:NAME") or the server's local user ("local:USER").
func reserved(subject string) bool {
	s := lowerASCII(subject)
	return strings.HasPrefix(s, model.TokenSubjectPrefix) || strings.HasPrefix(s, "local:")
}

// verified reads an email_verified claim: true, or the string "true".
func verified(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return strings.EqualFold(b, "true")
	}
	return false
}

// lowerASCII lowers ASCII letters only (no Unicode folding: the Kelvin
// sign stays itself).
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// printable refuses control characters in a subject (it is printed in
// tables and logs).
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func equalHashes(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return a != "" && ha == hb
}
