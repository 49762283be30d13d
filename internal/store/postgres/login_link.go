package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// LoginLinkInsert stores a one-time login link. A zero CreatedAt is set to
// now. ErrConflict if its ID exists; ErrNotFound if its token does not.
func (q *queries) LoginLinkInsert(ctx context.Context, l *model.LoginLink) error {
	if l.CreatedAt.IsZero() {
		l.CreatedAt = q.nowUTC()
	}
	_, err := q.db.Exec(ctx, query("LoginLinkInsert"), pgx.NamedArgs{
		"id":         l.ID,
		"token_id":   l.TokenID,
		"created_at": l.CreatedAt,
		"expires_at": l.ExpiresAt,
	})
	switch {
	case isDuplicate(err):
		return fmt.Errorf("insert login link for token %s: %w: a link with this ID exists (generate a new secret)", l.TokenID, store.ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("insert login link for token %s: %w: the token does not exist (insert it first)", l.TokenID, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("insert login link for token %s: %w", l.TokenID, err)
	}
	return nil
}

// LoginLinkConsume deletes the link and returns it when it exists and its
// expiry is after now. It is one conditional DELETE, so of any number of
// concurrent callers at most one gets the link; ErrNotFound for the others.
func (q *queries) LoginLinkConsume(ctx context.Context, id string, now time.Time) (*model.LoginLink, error) {
	var l model.LoginLink
	err := q.db.QueryRow(ctx, query("LoginLinkConsume"), pgx.NamedArgs{"id": id, "now": now}).
		Scan(&l.ID, &l.TokenID, &l.CreatedAt, &l.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("login link: %w: it was used already, has expired or never existed (ask for a new one with `gennaker ui`)", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("consume login link: %w", err)
	}
	l.CreatedAt, l.ExpiresAt = utc(l.CreatedAt), utc(l.ExpiresAt)
	return &l, nil
}
