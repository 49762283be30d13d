package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// tokenActiveName is the unique index that keeps two unrevoked tokens from
// sharing a name (migrations/001_init.sql).
const tokenActiveName = "token_active_name"

// TokenInsert stores a new token. A zero CreatedAt is set to now.
// ErrConflict when its ID exists, or when an unrevoked token has its name.
func (q *queries) TokenInsert(ctx context.Context, t *model.Token) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = q.nowUTC()
	}
	_, err := q.db.Exec(ctx, query("TokenInsert"), pgx.NamedArgs{
		"id":         t.ID,
		"name":       t.Name,
		"hash":       t.Hash,
		"role":       string(t.Role),
		"scope":      mustJSON(t.Scope),
		"created_by": t.CreatedBy,
		"owner":      t.Owner,
		"creator_id": t.CreatorID,
		"created_at": t.CreatedAt,
		"expires_at": t.ExpiresAt,
		"revoked_at": t.RevokedAt,
		"revoked_by": t.RevokedBy,
	})
	switch {
	case violates(err, tokenActiveName):
		return fmt.Errorf("insert token %q: %w: an active token named %q exists: revoke it or pick another name",
			t.Name, store.ErrConflict, t.Name)
	case isDuplicate(err):
		return fmt.Errorf("insert token %q: %w: a token with ID %s exists (generate a new ID)", t.Name, store.ErrConflict, t.ID)
	case err != nil:
		return fmt.Errorf("insert token %q: %w (name and owner must not be empty, role one of %v)", t.Name, err, model.Roles)
	}
	return nil
}

// TokenGet returns the token with this ID, revoked or not.
func (q *queries) TokenGet(ctx context.Context, id string) (*model.Token, error) {
	t, err := scanToken(q.db.QueryRow(ctx, query("TokenGet"), pgx.NamedArgs{"id": id}))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("token %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read token %s: %w", id, err)
	}
	return t, nil
}

// TokenList returns tokens by name, then creation time: unrevoked ones
// (expired included), and revoked ones too with params.IncludeRevoked.
func (q *queries) TokenList(ctx context.Context, params store.TokenListParams) ([]model.Token, error) {
	tokens, err := listRows(ctx, q, "TokenList", scanToken, pgx.NamedArgs{"include_revoked": params.IncludeRevoked})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return tokens, nil
}

// TokenRevoke revokes the unrevoked token named params.Name, in one
// conditional write, and returns it. A zero params.At is now.
func (q *queries) TokenRevoke(ctx context.Context, params store.TokenRevokeParams) (*model.Token, error) {
	at := params.At
	if at.IsZero() {
		at = q.nowUTC()
	}
	t, err := scanToken(q.db.QueryRow(ctx, query("TokenRevoke"), pgx.NamedArgs{
		"name": params.Name,
		"by":   params.By,
		"at":   at,
	}))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("revoke token %q: %w: no active token named %q (list tokens to see their names)",
			params.Name, store.ErrNotFound, params.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("revoke token %q: %w", params.Name, err)
	}
	return t, nil
}

func scanToken(row pgx.Row) (*model.Token, error) {
	var (
		t     model.Token
		scope string
	)
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &t.Role, &scope, &t.CreatedBy, &t.Owner, &t.CreatorID,
		&t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.RevokedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scope), &t.Scope); err != nil {
		return nil, fmt.Errorf("token %s: decode scope: %w", t.ID, err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = utc(t.CreatedAt), utc(t.ExpiresAt), utcPtr(t.RevokedAt)
	return &t, nil
}
