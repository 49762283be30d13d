package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// SessionInsert stores a new browser session; ErrConflict if its ID exists.
// A zero CreatedAt is set to now.
func (q *queries) SessionInsert(ctx context.Context, s *model.Session) error {
	if s.CreatedAt.IsZero() {
		s.CreatedAt = q.nowUTC()
	}
	_, err := q.db.Exec(ctx, query("SessionInsert"), pgx.NamedArgs{
		"id":         s.ID,
		"identity":   mustJSON(s.Identity),
		"created_at": s.CreatedAt,
		"expires_at": s.ExpiresAt,
		"source":     s.Source,
	})
	if isDuplicate(err) {
		return fmt.Errorf("insert session of %s: %w: a session with this ID exists (generate a new secret)", s.Identity.Subject, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert session of %s: %w", s.Identity.Subject, err)
	}
	return nil
}

// SessionGet returns a session, expired or not (the caller checks).
func (q *queries) SessionGet(ctx context.Context, id string) (*model.Session, error) {
	var (
		s        model.Session
		identity string
	)
	err := q.db.QueryRow(ctx, query("SessionGet"), pgx.NamedArgs{"id": id}).
		Scan(&s.ID, &identity, &s.CreatedAt, &s.ExpiresAt, &s.Source)
	if errors.Is(err, pgx.ErrNoRows) {
		// The ID is a hash of a secret: never put it in an error.
		return nil, fmt.Errorf("session: %w (log in again)", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if err := json.Unmarshal([]byte(identity), &s.Identity); err != nil {
		return nil, fmt.Errorf("session of %s: decode identity: %w", s.Identity.Subject, err)
	}
	s.CreatedAt, s.ExpiresAt = utc(s.CreatedAt), utc(s.ExpiresAt)
	return &s, nil
}

// SessionDelete removes a session; no error when it is already gone.
func (q *queries) SessionDelete(ctx context.Context, id string) error {
	if _, err := q.db.Exec(ctx, query("SessionDelete"), pgx.NamedArgs{"id": id}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// SessionDeleteExpired removes the sessions expired at now (their expiry is
// not after now) and returns how many.
func (q *queries) SessionDeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, query("SessionDeleteExpired"), pgx.NamedArgs{"now": now})
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
