package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/store"
)

// StageClaim implements store.Queries.
func (q *queries) StageClaim(ctx context.Context, p store.StageClaimParams) (bool, error) {
	if err := p.Check(); err != nil {
		return false, err
	}
	var takeover any
	if p.Takeover != "" {
		takeover = p.Takeover
	}
	tag, err := q.db.Exec(ctx, query("StageClaim"), pgx.NamedArgs{
		"execution_id": p.ExecutionID, "name": p.Stage, "claimant": p.Claimant,
		"takeover": takeover, "now": p.Now, "until": p.Until,
	})
	if err != nil {
		return false, fmt.Errorf("claim stage %q of execution %s: %w", p.Stage, p.ExecutionID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// StageClaimExtend implements store.Queries.
func (q *queries) StageClaimExtend(ctx context.Context, p store.StageClaimExtendParams) (bool, error) {
	tag, err := q.db.Exec(ctx, query("StageClaimExtend"), pgx.NamedArgs{
		"execution_id": p.ExecutionID, "name": p.Stage, "claimant": p.Claimant, "until": p.Until,
	})
	if err != nil {
		return false, fmt.Errorf("renew the claim on stage %q of execution %s: %w", p.Stage, p.ExecutionID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// StageDue implements store.Queries.
func (q *queries) StageDue(ctx context.Context, p store.StageDueParams) ([]store.StageRef, error) {
	limit := p.PageSize()
	before := p.Before
	if before.IsZero() {
		before = p.Now
	}
	refs, err := listRows(ctx, q, "StageDue", func(row pgx.Row) (*store.StageRef, error) {
		var ref store.StageRef
		if err := row.Scan(&ref.ExecutionID, &ref.Stage, &ref.WakeAt); err != nil {
			return nil, err
		}
		ref.WakeAt = utc(ref.WakeAt)
		return &ref, nil
	}, pgx.NamedArgs{"now": p.Now, "before": before, "queued_before": p.QueuedBefore, "limit": limit})
	if err != nil {
		return nil, fmt.Errorf("list due stages: %w", err)
	}
	return refs, nil
}
