package model

import "time"

// IdentityKind says how someone proved who they are.
type IdentityKind string

const (
	// IdentityUser is a person who logged in through the OIDC provider.
	IdentityUser IdentityKind = "user"
	// IdentityToken is an API token (CI, scripts, the CLI's own credential).
	IdentityToken IdentityKind = "token"
)

// Identity is an authenticated caller. Its Subject is what gennaker records
// as the actor of everything the caller does.
type Identity struct {
	// Subject is stable and unique: a user's email (or OIDC subject), or
	// "token:NAME" for an API token.
	Subject string       `json:"subject"`
	Kind    IdentityKind `json:"kind"`
	// Name is a display name (may be empty).
	Name string `json:"name,omitempty"`
	// Groups are the identity provider's groups of a user (mapped to teams
	// through Team.Groups at each request, so config changes apply at once).
	Groups []string `json:"groups,omitempty"`
	// TokenID names the API token behind a token identity, so revoking the
	// token ends every session it opened.
	TokenID string `json:"tokenId,omitempty"`
	// Owner is who answers for a token identity: the token's Owner (for a
	// user, empty: the user answers for themself).
	Owner string `json:"owner,omitempty"`
}

// Accountable is who answers for what the identity does: a token's owner,
// or the user.
func (id Identity) Accountable() string {
	if id.Owner != "" {
		return id.Owner
	}
	return id.Subject
}

// TokenSubjectPrefix starts the subject of a token identity.
const TokenSubjectPrefix = "token:"

// LocalSubjectPrefix starts the name of the user who runs gennaker on its
// machine ("local:USER"): the owner of the server's own tokens and of tokens
// made offline. No OIDC login may take such a name.
const LocalSubjectPrefix = "local:"

// Token is an API token. Only a hash of its secret is kept; the secret is
// shown once, when the token is created. A token holds exactly one role over
// one scope; it never gains what its creator is granted later.
type Token struct {
	// ID is the public part of the token, used to find it.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Hash is the hex SHA-256 of the token's secret part.
	Hash      string `json:"-"`
	Role      Role   `json:"role"`
	Scope     Scope  `json:"scope,omitzero"`
	CreatedBy string `json:"createdBy"`
	// Owner is who answers for the token: the person who created it, or,
	// for a token created by a token, that token's owner; the server's own
	// tokens are owned by "local:USER", the user who started it. Four eyes
	// compares owners, so nobody approves their own deploy with a token
	// they made.
	Owner string `json:"owner"`
	// CreatorID is the ID of the token that created this one ("" when a
	// person or the server did); revoking a token revokes what it created.
	CreatorID string     `json:"creatorId,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt time.Time  `json:"expiresAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	RevokedBy string     `json:"revokedBy,omitempty"`
}

// Subject is the actor name of the token's identity.
func (t Token) Subject() string { return TokenSubjectPrefix + t.Name }

// Active reports whether the token may be used at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt == nil && now.Before(t.ExpiresAt)
}

// Session is a browser's login. Its ID is the hex SHA-256 of the secret in
// the session cookie, so a copy of the database opens no session.
type Session struct {
	ID        string    `json:"id"`
	Identity  Identity  `json:"identity"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Source is the address the session was opened from.
	Source string `json:"source,omitempty"`
}

// LoginLink is a one-time URL that opens a browser session for the identity
// of the token that asked for it (the server prints one at first start;
// `gennaker ui` asks for another). Its ID is the hex SHA-256 of the secret
// in the URL; using it deletes it.
type LoginLink struct {
	ID        string    `json:"id"`
	TokenID   string    `json:"tokenId"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}
