package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Token lifetimes: the default when a request names none, and the longest allowed.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 2 * 365 * 24 * time.Hour
)

var tokenName = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`)

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	Name  string      `json:"name"`
	Role  model.Role  `json:"role"`
	Scope model.Scope `json:"scope,omitempty"`
	// ExpiresIn is a Go duration or a number of days such as "90d" (default 90d, at most 730d).
	ExpiresIn string `json:"expiresIn,omitempty"`
	// Owner names who answers for the token when it is not the caller (a
	// CI system, a colleague); only an admin of everything may name one.
	Owner string `json:"owner,omitempty"`
}

// TokenCreated is the answer of POST /api/v1/tokens: the token and its
// secret, which is shown this once.
type TokenCreated struct {
	model.Token
	Secret string `json:"secret"`
}

// TokenParams is what creating a token needs, from the API or the CLI's
// offline `token create --data`.
type TokenParams struct {
	TokenRequest
	CreatedBy string
	// Owner answers for the token (see model.Token.Owner).
	Owner string
	// Creator is the token creating this one, if a token is: the new token
	// may not outlive it, and is revoked with it.
	Creator *model.Token
	Now     time.Time
}

// NewToken checks params and returns the token to store and its secret.
// The caller stores it (TokenInsert).
func NewToken(p TokenParams) (*model.Token, string, error) {
	var problems []string
	if !tokenName.MatchString(p.Name) {
		problems = append(problems, fmt.Sprintf("name %q: use 1 to 63 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit", truncate(p.Name, 70)))
	}
	if !p.Role.Valid() {
		problems = append(problems, fmt.Sprintf("role %q: use one of viewer, deployer, approver, admin", truncate(string(p.Role), 40)))
	}
	if p.Scope.Team != "" && p.Scope.Application != "" {
		problems = append(problems, "scope: give a team or an application, not both")
	}
	if p.Role == model.RoleAdmin && len(p.Scope.Environments) > 0 {
		problems = append(problems, "scope.environments: an admin token acts on config, not in environments: leave the environments out")
	}
	var fc fieldCheck
	fc.str("scope.team", p.Scope.Team, maxName)
	fc.str("scope.application", p.Scope.Application, maxName)
	if len(p.Scope.Environments) > 32 {
		problems = append(problems, "scope.environments: at most 32")
	}
	for _, e := range p.Scope.Environments {
		fc.str("scope.environments", e, maxName)
	}
	ttl, err := parseTTL(p.ExpiresIn)
	if err != nil {
		problems = append(problems, err.Error())
	}
	problems = append(problems, fc.problems...)
	if len(problems) > 0 {
		return nil, "", fmt.Errorf("%w: token: %s", errBadInput, strings.Join(problems, "; "))
	}
	expires := p.Now.UTC().Add(ttl)
	if p.Creator != nil && expires.After(p.Creator.ExpiresAt) {
		return nil, "", fmt.Errorf("%w: token: it would expire %s, after the token creating it (%s, which expires %s): a token never outlives the token that made it; ask for a shorter expiresIn",
			errBadInput, expires.Format(time.DateOnly), p.Creator.Name, p.Creator.ExpiresAt.UTC().Format(time.DateOnly))
	}
	if p.Owner == "" {
		p.Owner = p.CreatedBy
	}
	id, hash, secret := auth.NewToken()
	scope := p.Scope
	scope.Environments = slices.Compact(slices.Sorted(slices.Values(scope.Environments)))
	tok := &model.Token{ID: id, Name: p.Name, Hash: hash, Role: p.Role, Scope: scope, CreatedBy: p.CreatedBy, Owner: p.Owner,
		CreatedAt: p.Now.UTC(), ExpiresAt: expires}
	if p.Creator != nil {
		tok.CreatorID = p.Creator.ID
	}
	return tok, secret, nil
}

// checkOwner refuses an owner name that is not a plain name of a person or
// system: empty, too long, a control character, or one of gennaker's own.
func checkOwner(o string) error {
	lower := strings.ToLower(o)
	if o == "" || len(o) > 256 || strings.HasPrefix(lower, model.TokenSubjectPrefix) || strings.ContainsFunc(o, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%w: owner %q: give a person's email or a system's name (at most 256 characters, not token:…)", errBadInput, truncate(o, 80))
	}
	return nil
}

func parseTTL(s string) (time.Duration, error) {
	if s == "" {
		return DefaultTokenTTL, nil
	}
	var d time.Duration
	var days int
	if _, err := fmt.Sscanf(s, "%dd", &days); err == nil && fmt.Sprintf("%dd", days) == s {
		d = time.Duration(days) * 24 * time.Hour
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("expiresIn %q: give days such as 90d or a duration such as 12h", truncate(s, 40))
	}
	if d <= 0 || d > MaxTokenTTL {
		return 0, fmt.Errorf("expiresIn %q: give a lifetime between 1s and 730d (tokens always expire)", truncate(s, 40))
	}
	return d, nil
}

// mayGrant reports whether p may hand out role over scope: it must hold
// the admin permission over all of scope (an admin of a team may make
// tokens for the team's applications, never for everything).
func mayGrant(p auth.Principal, pol auth.Policy, scope model.Scope) error {
	for _, b := range p.Bindings {
		if !auth.Allows(b.Role, auth.PermAdmin) || len(b.Scope.Environments) > 0 {
			continue
		}
		switch {
		case b.Scope.Application == "" && b.Scope.Team == "":
			return nil
		case b.Scope.Application != "" && scope.Application == b.Scope.Application:
			return nil
		case b.Scope.Team != "" && (scope.Team == b.Scope.Team || (scope.Application != "" && pol.AppTeams[scope.Application] == b.Scope.Team)):
			return nil
		}
	}
	return fmt.Errorf("%w: %s may not create a token over %s: an admin may only create tokens within what they administer", auth.ErrForbidden, p.Actor(), scope)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	e := s.entry(r, model.AuditTokenCreate, "", "")
	if err := decodeBody(w, r, &req, maxActionBody); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	e.Object, e.Application = "token/"+truncate(req.Name, 70), req.Scope.Application
	e.Detail = audit.Detail(map[string]any{"role": req.Role, "scope": req.Scope, "expiresIn": req.ExpiresIn})
	p := principal(r)
	pol := auth.PolicyFrom(r.Context())
	if err := mayGrant(p, pol, req.Scope); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	owner := p.Owner()
	if req.Owner != "" && !auth.SameName(req.Owner, owner) {
		if !p.Can(auth.PermAdmin, auth.Global) {
			s.failAction(w, r, e, fmt.Errorf("%w: %s may not name another owner (%s) for a token: only an admin of everything may (four eyes compares owners)", auth.ErrForbidden, p.Actor(), truncate(req.Owner, 80)))
			return
		}
		if err := checkOwner(req.Owner); err != nil {
			s.failAction(w, r, e, err)
			return
		}
		owner = req.Owner
	}
	var creator *model.Token
	if p.Identity.TokenID != "" {
		c, err := s.cfg.Store.TokenGet(r.Context(), p.Identity.TokenID)
		if err != nil {
			s.failAction(w, r, e, err)
			return
		}
		creator = c
	}
	tok, secret, err := NewToken(TokenParams{TokenRequest: req, CreatedBy: p.Actor(), Owner: owner, Creator: creator, Now: time.Now()})
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	if err := s.storeToken(r.Context(), tok, e); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	writeJSON(w, http.StatusCreated, TokenCreated{Token: *tok, Secret: secret})
}

// storeToken inserts a token and its audit entry in one transaction.
func (s *Server) storeToken(ctx context.Context, tok *model.Token, e *model.AuditEntry) error {
	return s.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.TokenInsert(ctx, tok); err != nil {
			return err
		}
		entry := *e
		entry.Outcome = model.AuditOK
		entry.Detail = audit.Detail(map[string]any{"id": tok.ID, "role": tok.Role, "scope": tok.Scope, "expiresAt": tok.ExpiresAt, "owner": tok.Owner})
		return tx.AuditAppend(ctx, &entry)
	})
}

// listTokens shows the tokens within the caller's admin scope and the ones
// they created; never a secret.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	pol := auth.PolicyFrom(r.Context())
	toks, err := s.cfg.Store.TokenList(r.Context(), store.TokenListParams{IncludeRevoked: r.URL.Query().Get("all") == "true"})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	toks = filter(toks, func(t model.Token) bool { return mine(p, t) || mayGrant(p, pol, t.Scope) == nil })
	writeJSON(w, http.StatusOK, nonNil(toks))
}

// mine reports whether p answers for t: p's owner owns it, p created it,
// or p is it.
func mine(p auth.Principal, t model.Token) bool {
	return auth.SameName(t.Owner, p.Owner()) || (p.Identity.TokenID != "" && (t.CreatorID == p.Identity.TokenID || t.ID == p.Identity.TokenID))
}

// revokeToken revokes an active token by name: an admin over its scope, its
// owner, the token that created it, or the token itself may. The tokens it
// created (and theirs) are revoked with it.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	e := s.entry(r, model.AuditTokenRevoke, "token/"+truncate(name, 70), "")
	p := principal(r)
	pol := auth.PolicyFrom(r.Context())
	var revoked []model.Token
	err := s.cfg.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		toks, err := tx.TokenList(ctx, store.TokenListParams{})
		if err != nil {
			return err
		}
		i := slices.IndexFunc(toks, func(t model.Token) bool { return t.Name == name })
		if i < 0 {
			return fmt.Errorf("%w: no active token is named %q: list them with `gennaker token list`", store.ErrNotFound, truncate(name, 70))
		}
		t := toks[i]
		if !mine(p, t) && mayGrant(p, pol, t.Scope) != nil {
			return fmt.Errorf("%w: %s may not revoke token %q: only its owner (%s), the token that created it, the token itself or an admin over %s may", auth.ErrForbidden, p.Actor(), t.Name, t.Owner, t.Scope)
		}
		revoked, err = revokeWithChildren(ctx, tx, toks, t, p.Actor())
		if err != nil {
			return err
		}
		entry := *e
		entry.Outcome, entry.Application = model.AuditOK, t.Scope.Application
		detail := map[string]any{"id": t.ID}
		if len(revoked) > 1 {
			var children []string
			for _, c := range revoked[1:] {
				children = append(children, c.Name)
			}
			detail["alsoRevoked"] = children
		}
		entry.Detail = audit.Detail(detail)
		return tx.AuditAppend(ctx, &entry)
	})
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	for _, t := range revoked {
		s.cfg.Auth.ForgetToken(t.ID)
	}
	writeJSON(w, http.StatusOK, revoked[0])
}

// revokeWithChildren revokes t and every active token it created, and
// theirs, and returns them, t first.
func revokeWithChildren(ctx context.Context, tx store.Tx, active []model.Token, t model.Token, by string) ([]model.Token, error) {
	var out []model.Token
	queue := []model.Token{t}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		done, err := tx.TokenRevoke(ctx, store.TokenRevokeParams{Name: cur.Name, By: by, At: time.Now().UTC()})
		if err != nil {
			return nil, err
		}
		out = append(out, *done)
		for _, c := range active {
			if c.CreatorID == cur.ID {
				queue = append(queue, c)
			}
		}
	}
	return out, nil
}

// LoginLink is the answer of POST /api/v1/auth/login-links.
type LoginLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// createLoginLink returns a one-time URL that logs a browser in as the
// calling token (what `gennaker ui` prints).
func (s *Server) createLoginLink(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	e := s.entry(r, model.AuditLoginLink, "token/"+p.Identity.Subject, "")
	var body struct{}
	if err := decodeBody(w, r, &body, maxActionBody); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	if p.Identity.Kind != model.IdentityToken {
		s.failAction(w, r, e, fmt.Errorf("%w: login links are for API tokens (the CLI's `gennaker ui`); you are already logged in", errBadInput))
		return
	}
	secret, exp, err := s.cfg.Auth.NewLoginLink(r.Context(), p.Identity.TokenID)
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	s.cfg.Audit.Record(r.Context(), *e, model.AuditOK, map[string]any{"expiresAt": exp})
	writeJSON(w, http.StatusCreated, LoginLink{URL: s.baseURL(r) + "/login?token=" + secret, ExpiresAt: exp})
}

// baseURL is how people reach this server: --public-url, or the request's own.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
