package authn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Cookie names. Over HTTPS the session cookie carries the __Host- prefix,
// which browsers only accept Secure, host-only and for path /.
const (
	sessionCookie       = "gennaker_session"
	secureSessionCookie = "__Host-gennaker_session"
)

func (a *Authenticator) cookieName() string {
	if a.cfg.Secure {
		return secureSessionCookie
	}
	return sessionCookie
}

// session returns the live session named by the request's cookie.
func (a *Authenticator) session(r *http.Request) (*model.Session, bool) {
	c, err := r.Cookie(a.cookieName())
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, false
	}
	s, err := a.cfg.Store.SessionGet(r.Context(), auth.HashSecret(c.Value))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			a.cfg.Log.Warn("reading a session", "err", err)
		}
		return nil, false
	}
	if !a.cfg.Now().Before(s.ExpiresAt) {
		return nil, false
	}
	return s, true
}

// StartSession opens a browser session for id and sets its cookie
// (HttpOnly, SameSite=Lax, Secure over HTTPS). Expired sessions are
// removed on the way.
func (a *Authenticator) StartSession(ctx context.Context, w http.ResponseWriter, r *http.Request, id model.Identity) error {
	now := a.cfg.Now()
	secret := auth.NewSecret()
	s := &model.Session{ID: auth.HashSecret(secret), Identity: id, CreatedAt: now, ExpiresAt: now.Add(a.cfg.SessionTTL), Source: audit.Source(r)}
	if err := a.cfg.Store.SessionInsert(ctx, s); err != nil {
		return fmt.Errorf("opening a session: %w", err)
	}
	if n, err := a.cfg.Store.SessionDeleteExpired(ctx, now); err != nil {
		a.cfg.Log.Warn("removing expired sessions", "err", err)
	} else if n > 0 {
		a.cfg.Log.Debug("removed expired sessions", "count", n)
	}
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName(), Value: secret, Path: "/", Expires: s.ExpiresAt, MaxAge: int(a.cfg.SessionTTL / time.Second),
		HttpOnly: true, Secure: a.cfg.Secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// EndSession deletes the request's session, if any, and clears its cookie.
func (a *Authenticator) EndSession(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(a.cookieName()); err == nil && c.Value != "" {
		if err := a.cfg.Store.SessionDelete(ctx, auth.HashSecret(c.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.cfg.Secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// NewLoginLink stores a one-time login link for the token tokenID and
// returns its secret (the value of /login?token=...) and expiry.
func (a *Authenticator) NewLoginLink(ctx context.Context, tokenID string) (string, time.Time, error) {
	now := a.cfg.Now()
	secret := auth.NewSecret()
	l := &model.LoginLink{ID: auth.HashSecret(secret), TokenID: tokenID, CreatedAt: now, ExpiresAt: now.Add(a.cfg.LoginLinkTTL)}
	if err := a.cfg.Store.LoginLinkInsert(ctx, l); err != nil {
		return "", time.Time{}, fmt.Errorf("storing a login link: %w", err)
	}
	return secret, l.ExpiresAt, nil
}

// UseLoginLink consumes a one-time login link and opens a session for the
// identity of its token.
func (a *Authenticator) UseLoginLink(ctx context.Context, w http.ResponseWriter, r *http.Request, secret string) (auth.Principal, error) {
	if secret == "" || len(secret) > 128 {
		return auth.Principal{}, &BadCredential{"the login link is incomplete: copy the whole URL"}
	}
	l, err := a.cfg.Store.LoginLinkConsume(ctx, auth.HashSecret(secret), a.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return auth.Principal{}, &BadCredential{"this login link was already used or has expired: get a new one with `gennaker ui`"}
	}
	if err != nil {
		return auth.Principal{}, err
	}
	tok, err := a.cfg.Store.TokenGet(ctx, l.TokenID)
	if err != nil || !tok.Active(a.cfg.Now()) {
		return auth.Principal{}, &BadCredential{"the token this login link was made for is no longer valid: get a new link with `gennaker ui`"}
	}
	p := auth.TokenPrincipal(*tok)
	return p, a.StartSession(ctx, w, r, p.Identity)
}

// LoginWithToken checks a pasted API token and opens a session for it.
func (a *Authenticator) LoginWithToken(ctx context.Context, w http.ResponseWriter, r *http.Request, token string) (auth.Principal, error) {
	tok, err := a.Token(ctx, token)
	if err != nil {
		return auth.Principal{}, err
	}
	p := auth.TokenPrincipal(*tok)
	return p, a.StartSession(ctx, w, r, p.Identity)
}
