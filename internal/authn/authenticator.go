package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Store is what authentication reads and writes.
type Store interface {
	TokenGet(ctx context.Context, id string) (*model.Token, error)
	SessionInsert(ctx context.Context, s *model.Session) error
	SessionGet(ctx context.Context, id string) (*model.Session, error)
	SessionDelete(ctx context.Context, id string) error
	SessionDeleteExpired(ctx context.Context, now time.Time) (int64, error)
	LoginLinkInsert(ctx context.Context, l *model.LoginLink) error
	LoginLinkConsume(ctx context.Context, id string, now time.Time) (*model.LoginLink, error)
	TeamList(ctx context.Context) ([]model.Team, error)
	GrantList(ctx context.Context) ([]model.Grant, error)
	ApplicationList(ctx context.Context, params store.ApplicationListParams) ([]model.Application, error)
}

var _ Store = store.Store(nil)

// Defaults of Config.
const (
	DefaultSessionTTL   = 12 * time.Hour
	DefaultLoginLinkTTL = time.Hour
	// policyTTL is how long a snapshot of teams, grants and application
	// owners is reused. Apply on this server refreshes it at once; a change
	// made through another replica shows within this time.
	policyTTL = 2 * time.Second
)

// Config configures an Authenticator.
type Config struct {
	Store Store
	Log   *slog.Logger
	Now   func() time.Time
	// Secure marks cookies Secure and gives the session cookie the __Host-
	// prefix: set it when browsers reach the server over HTTPS.
	Secure       bool
	SessionTTL   time.Duration
	LoginLinkTTL time.Duration
}

// Authenticator resolves requests into principals.
type Authenticator struct {
	cfg Config

	mu       sync.Mutex
	policy   auth.Policy
	loadedAt time.Time
	// tokens caches tokens read by ID for policyTTL, so a client's stream
	// of requests reads its token once every few seconds, not every time
	// (the secret is still checked on every request).
	tokens map[string]cachedToken
	// forgotten are tokens revoked here lately: a read that raced the
	// revocation must not put them back in the cache.
	forgotten map[string]time.Time
}

type cachedToken struct {
	tok model.Token
	at  time.Time
}

// maxCachedTokens bounds the token cache (it is emptied when full).
const maxCachedTokens = 10_000

// New returns an Authenticator.
func New(cfg Config) *Authenticator {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.LoginLinkTTL <= 0 {
		cfg.LoginLinkTTL = DefaultLoginLinkTTL
	}
	return &Authenticator{cfg: cfg}
}

// Secure reports whether cookies are marked Secure.
func (a *Authenticator) Secure() bool { return a.cfg.Secure }

// BadCredential is a credential that was presented but is not valid.
type BadCredential struct{ Reason string }

func (e *BadCredential) Error() string { return e.Reason }

// Unwrap makes it match auth.ErrUnauthenticated.
func (e *BadCredential) Unwrap() error { return auth.ErrUnauthenticated }

// Authenticate returns the request's principal: from an Authorization
// bearer token when the header is present (a bad one is an error, never a
// fall-back to the cookie), else from the session cookie, else the zero
// (anonymous) Principal. A session cookie that is expired or unknown is
// treated as absent.
func (a *Authenticator) Authenticate(r *http.Request) (auth.Principal, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(cred) == "" {
			return auth.Principal{}, &BadCredential{"the Authorization header must be `Bearer TOKEN` with a gennaker API token (gnk_...)"}
		}
		tok, err := a.Token(ctx, strings.TrimSpace(cred))
		if err != nil {
			return auth.Principal{}, err
		}
		return auth.TokenPrincipal(*tok), nil
	}
	sess, ok := a.session(r)
	if !ok {
		return auth.Principal{}, nil
	}
	return a.sessionPrincipal(ctx, sess)
}

// Token checks an API token and returns it.
func (a *Authenticator) Token(ctx context.Context, token string) (*model.Token, error) {
	id, secret, ok := auth.ParseToken(token)
	if !ok {
		return nil, &BadCredential{"the credential is not a gennaker API token (they look like gnk_<id>_<secret>): create one with `gennaker token create`"}
	}
	tok, err := a.token(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &BadCredential{"the API token is not known to this server: it may belong to another server, or its database was replaced; create a new one with `gennaker token create`"}
	}
	if err != nil {
		return nil, err
	}
	if !auth.SecretMatches(tok.Hash, secret) {
		return nil, &BadCredential{"the API token's secret does not match: copy the whole token as `gennaker token create` printed it"}
	}
	now := a.cfg.Now()
	switch {
	case tok.RevokedAt != nil:
		return nil, &BadCredential{fmt.Sprintf("API token %q was revoked by %s at %s: ask an admin for a new one", tok.Name, tok.RevokedBy, tok.RevokedAt.UTC().Format(time.RFC3339))}
	case !now.Before(tok.ExpiresAt):
		return nil, &BadCredential{fmt.Sprintf("API token %q expired at %s: create a new one with `gennaker token create`", tok.Name, tok.ExpiresAt.UTC().Format(time.RFC3339))}
	}
	return tok, nil
}

// token reads a token by ID through the cache.
func (a *Authenticator) token(ctx context.Context, id string) (*model.Token, error) {
	now := a.cfg.Now()
	a.mu.Lock()
	c, ok := a.tokens[id]
	a.mu.Unlock()
	if ok && now.Sub(c.at) < policyTTL {
		t := c.tok
		return &t, nil
	}
	tok, err := a.cfg.Store.TokenGet(ctx, id)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if at, ok := a.forgotten[id]; ok && a.cfg.Now().Sub(at) < policyTTL {
		return tok, nil // revoked while we read it: use what we read, cache nothing
	}
	if a.tokens == nil || len(a.tokens) >= maxCachedTokens {
		a.tokens = map[string]cachedToken{}
	}
	a.tokens[id] = cachedToken{*tok, now}
	return tok, nil
}

// ForgetToken drops a token from the cache (this server revoked it), so
// the revocation holds at once here; other replicas see it within
// policyTTL.
func (a *Authenticator) ForgetToken(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.tokens, id)
	now := a.cfg.Now()
	if a.forgotten == nil || len(a.forgotten) >= maxCachedTokens {
		a.forgotten = map[string]time.Time{}
	}
	for k, at := range a.forgotten {
		if now.Sub(at) >= policyTTL {
			delete(a.forgotten, k)
		}
	}
	a.forgotten[id] = now
}

func (a *Authenticator) sessionPrincipal(ctx context.Context, s *model.Session) (auth.Principal, error) {
	if s.Identity.Kind == model.IdentityToken {
		tok, err := a.token(ctx, s.Identity.TokenID)
		if errors.Is(err, store.ErrNotFound) {
			return auth.Principal{}, nil
		}
		if err != nil {
			return auth.Principal{}, err
		}
		if !tok.Active(a.cfg.Now()) {
			return auth.Principal{}, nil // the token behind the session was revoked or expired: log in again
		}
		return auth.TokenPrincipal(*tok), nil
	}
	pol, err := a.Policy(ctx)
	if err != nil {
		return auth.Principal{}, err
	}
	return pol.UserPrincipal(s.Identity), nil
}

// Policy returns a recent snapshot of the access config.
func (a *Authenticator) Policy(ctx context.Context) (auth.Policy, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loadedAt.IsZero() && a.cfg.Now().Sub(a.loadedAt) < policyTTL {
		return a.policy, nil
	}
	teams, err := a.cfg.Store.TeamList(ctx)
	if err != nil {
		return auth.Policy{}, err
	}
	grants, err := a.cfg.Store.GrantList(ctx)
	if err != nil {
		return auth.Policy{}, err
	}
	apps, err := a.cfg.Store.ApplicationList(ctx, store.ApplicationListParams{})
	if err != nil {
		return auth.Policy{}, err
	}
	owners := make(map[string]string, len(apps))
	for _, app := range apps {
		owners[app.Name] = app.Team
	}
	a.policy, a.loadedAt = auth.Policy{Teams: teams, Grants: grants, AppTeams: owners}, a.cfg.Now()
	return a.policy, nil
}

// Invalidate makes the next Policy read the store (after a config apply).
func (a *Authenticator) Invalidate() {
	a.mu.Lock()
	a.loadedAt = time.Time{}
	a.mu.Unlock()
}
