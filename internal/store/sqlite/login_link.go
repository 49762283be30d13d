package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// LoginLinkInsert stores a one-time login link. A zero CreatedAt is set to
// now. ErrConflict if its ID exists; ErrNotFound if its token does not.
func (q *queries) LoginLinkInsert(ctx context.Context, l *model.LoginLink) error {
	if l.CreatedAt.IsZero() {
		l.CreatedAt = q.nowUTC()
	}
	_, err := q.write.ExecContext(ctx, query("LoginLinkInsert"),
		sql.Named("id", l.ID),
		sql.Named("token_id", l.TokenID),
		sql.Named("created_at", formatTime(l.CreatedAt)),
		sql.Named("expires_at", formatTime(l.ExpiresAt)))
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
	var (
		l                    model.LoginLink
		createdAt, expiresAt string
	)
	err := q.write.QueryRowContext(ctx, query("LoginLinkConsume"), sql.Named("id", id), sql.Named("now", formatTime(now))).
		Scan(&l.ID, &l.TokenID, &createdAt, &expiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("login link: %w: it was used already, has expired or never existed (ask for a new one with `gennaker ui`)", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("consume login link: %w", err)
	}
	if l.CreatedAt, err = parseTime(createdAt); err != nil {
		return nil, fmt.Errorf("login link for token %s: created_at: %w", l.TokenID, err)
	}
	if l.ExpiresAt, err = parseTime(expiresAt); err != nil {
		return nil, fmt.Errorf("login link for token %s: expires_at: %w", l.TokenID, err)
	}
	return &l, nil
}
