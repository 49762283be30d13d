package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gennaker/gennaker/internal/store"
)

// StageClaim implements store.Queries.
func (q *queries) StageClaim(ctx context.Context, p store.StageClaimParams) (bool, error) {
	if err := p.Check(); err != nil {
		return false, err
	}
	res, err := q.write.ExecContext(ctx, query("StageClaim"),
		sql.Named("execution_id", p.ExecutionID), sql.Named("name", p.Stage), sql.Named("claimant", p.Claimant),
		sql.Named("takeover", nullString(p.Takeover)), sql.Named("now", formatTime(p.Now)), sql.Named("until", formatTime(p.Until)))
	if err != nil {
		return false, fmt.Errorf("claim stage %q of execution %s: %w", p.Stage, p.ExecutionID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim stage %q of execution %s: %w", p.Stage, p.ExecutionID, err)
	}
	return n == 1, nil
}

// StageClaimExtend implements store.Queries.
func (q *queries) StageClaimExtend(ctx context.Context, p store.StageClaimExtendParams) (bool, error) {
	res, err := q.write.ExecContext(ctx, query("StageClaimExtend"),
		sql.Named("execution_id", p.ExecutionID), sql.Named("name", p.Stage), sql.Named("claimant", p.Claimant),
		sql.Named("until", formatTime(p.Until)))
	if err != nil {
		return false, fmt.Errorf("renew the claim on stage %q of execution %s: %w", p.Stage, p.ExecutionID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("renew the claim on stage %q of execution %s: %w", p.Stage, p.ExecutionID, err)
	}
	return n == 1, nil
}

// StageDue implements store.Queries.
func (q *queries) StageDue(ctx context.Context, p store.StageDueParams) ([]store.StageRef, error) {
	limit := p.PageSize()
	before := p.Before
	if before.IsZero() {
		before = p.Now
	}
	rows, err := q.read.QueryContext(ctx, query("StageDue"), sql.Named("now", formatTime(p.Now)), sql.Named("before", formatTime(before)),
		sql.Named("queued_before", formatTime(p.QueuedBefore)), sql.Named("limit", limit))
	if err != nil {
		return nil, fmt.Errorf("list due stages: %w", err)
	}
	defer rows.Close()
	var out []store.StageRef
	for rows.Next() {
		var ref store.StageRef
		var at string
		if err := rows.Scan(&ref.ExecutionID, &ref.Stage, &at); err != nil {
			return nil, fmt.Errorf("list due stages: %w", err)
		}
		if ref.WakeAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("list due stages: stage %q of %s: %w", ref.Stage, ref.ExecutionID, err)
		}
		out = append(out, ref)
	}
	return out, rows.Err()
}

// StageReleaseClaims implements store.Store.
func (s *Store) StageReleaseClaims(ctx context.Context) (int64, error) {
	res, err := s.writer.ExecContext(ctx, query("StageReleaseClaims"))
	if err != nil {
		return 0, fmt.Errorf("releasing the stage claims of a previous server: %w", err)
	}
	return res.RowsAffected()
}
