package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// SessionInsert stores a new browser session; ErrConflict if its ID exists.
// A zero CreatedAt is set to now.
func (q *queries) SessionInsert(ctx context.Context, s *model.Session) error {
	if s.CreatedAt.IsZero() {
		s.CreatedAt = q.nowUTC()
	}
	_, err := q.write.ExecContext(ctx, query("SessionInsert"),
		sql.Named("id", s.ID),
		sql.Named("identity", mustJSON(s.Identity)),
		sql.Named("created_at", formatTime(s.CreatedAt)),
		sql.Named("expires_at", formatTime(s.ExpiresAt)),
		sql.Named("source", s.Source))
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
		s                    model.Session
		identity             string
		createdAt, expiresAt string
	)
	err := q.read.QueryRowContext(ctx, query("SessionGet"), sql.Named("id", id)).
		Scan(&s.ID, &identity, &createdAt, &expiresAt, &s.Source)
	if errors.Is(err, sql.ErrNoRows) {
		// The ID is a hash of a secret: never put it in an error.
		return nil, fmt.Errorf("session: %w (log in again)", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if err := json.Unmarshal([]byte(identity), &s.Identity); err != nil {
		return nil, fmt.Errorf("session of %s: decode identity: %w", s.Identity.Subject, err)
	}
	if s.CreatedAt, err = parseTime(createdAt); err != nil {
		return nil, fmt.Errorf("session of %s: created_at: %w", s.Identity.Subject, err)
	}
	if s.ExpiresAt, err = parseTime(expiresAt); err != nil {
		return nil, fmt.Errorf("session of %s: expires_at: %w", s.Identity.Subject, err)
	}
	return &s, nil
}

// SessionDelete removes a session; no error when it is already gone.
func (q *queries) SessionDelete(ctx context.Context, id string) error {
	if _, err := q.write.ExecContext(ctx, query("SessionDelete"), sql.Named("id", id)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// SessionDeleteExpired removes the sessions expired at now (their expiry is
// not after now) and returns how many.
func (q *queries) SessionDeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.write.ExecContext(ctx, query("SessionDeleteExpired"), sql.Named("now", formatTime(now)))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}
