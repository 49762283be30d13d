package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// TokenInsert stores a new token. A zero CreatedAt is set to now.
// ErrConflict when its ID exists, or when an unrevoked token has its name.
func (q *queries) TokenInsert(ctx context.Context, t *model.Token) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = q.nowUTC()
	}
	_, err := q.write.ExecContext(ctx, query("TokenInsert"),
		sql.Named("id", t.ID),
		sql.Named("name", t.Name),
		sql.Named("hash", t.Hash),
		sql.Named("role", string(t.Role)),
		sql.Named("scope", mustJSON(t.Scope)),
		sql.Named("created_by", t.CreatedBy),
		sql.Named("owner", t.Owner),
		sql.Named("creator_id", t.CreatorID),
		sql.Named("created_at", formatTime(t.CreatedAt)),
		sql.Named("expires_at", formatTime(t.ExpiresAt)),
		sql.Named("revoked_at", formatTimePtr(t.RevokedAt)),
		sql.Named("revoked_by", t.RevokedBy))
	switch {
	case isUniqueIndex(err):
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
	t, err := scanToken(q.read.QueryRowContext(ctx, query("TokenGet"), sql.Named("id", id)))
	if errors.Is(err, sql.ErrNoRows) {
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
	tokens, err := listRows(ctx, q, "TokenList", scanToken, sql.Named("include_revoked", params.IncludeRevoked))
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
	t, err := scanToken(q.write.QueryRowContext(ctx, query("TokenRevoke"),
		sql.Named("name", params.Name),
		sql.Named("by", params.By),
		sql.Named("at", formatTime(at))))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("revoke token %q: %w: no active token named %q (list tokens to see their names)",
			params.Name, store.ErrNotFound, params.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("revoke token %q: %w", params.Name, err)
	}
	return t, nil
}

func scanToken(row rowScanner) (*model.Token, error) {
	var (
		t                    model.Token
		scope                string
		createdAt, expiresAt string
		revokedAt            sql.NullString
	)
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &t.Role, &scope, &t.CreatedBy, &t.Owner, &t.CreatorID,
		&createdAt, &expiresAt, &revokedAt, &t.RevokedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scope), &t.Scope); err != nil {
		return nil, fmt.Errorf("token %s: decode scope: %w", t.ID, err)
	}
	var err error
	if t.CreatedAt, err = parseTime(createdAt); err != nil {
		return nil, fmt.Errorf("token %s: created_at: %w", t.ID, err)
	}
	if t.ExpiresAt, err = parseTime(expiresAt); err != nil {
		return nil, fmt.Errorf("token %s: expires_at: %w", t.ID, err)
	}
	if t.RevokedAt, err = parseTimePtr(revokedAt); err != nil {
		return nil, fmt.Errorf("token %s: revoked_at: %w", t.ID, err)
	}
	return &t, nil
}
