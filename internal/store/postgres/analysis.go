package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/store"
)

// AnalysisInsert stores one judged interval; ErrConflict if its sequence is
// already recorded for the stage.
func (q *queries) AnalysisInsert(ctx context.Context, rec *store.AnalysisRecord) error {
	what := fmt.Sprintf("insert analysis record %d of stage %q of execution %s", rec.Sequence, rec.Stage, rec.ExecutionID)
	_, err := q.db.Exec(ctx, query("AnalysisInsert"), pgx.NamedArgs{
		"execution_id": rec.ExecutionID,
		"stage":        rec.Stage,
		"sequence":     rec.Sequence,
		"started_at":   rec.StartedAt,
		"ended_at":     rec.EndedAt,
		"outcome":      rec.Outcome,
		"score":        rec.Score,
		"reason":       rec.Reason,
		"measurements": rawOrNull(rec.Measurements),
		"verdict":      rawOrNull(rec.Verdict),
	})
	switch {
	case isDuplicate(err):
		return fmt.Errorf("%s: %w: the interval is already recorded (resume from the next sequence)", what, store.ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("%s: %w: the stage does not exist", what, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// AnalysisList returns an execution's records ordered by stage, then sequence.
func (q *queries) AnalysisList(ctx context.Context, executionID string) ([]store.AnalysisRecord, error) {
	recs, err := listRows(ctx, q, "AnalysisList", scanAnalysisRecord, pgx.NamedArgs{"execution_id": executionID})
	if err != nil {
		return nil, fmt.Errorf("list analysis records of execution %s: %w", executionID, err)
	}
	return recs, nil
}

func scanAnalysisRecord(row pgx.Row) (*store.AnalysisRecord, error) {
	var rec store.AnalysisRecord
	if err := row.Scan(&rec.ExecutionID, &rec.Stage, &rec.Sequence, &rec.StartedAt, &rec.EndedAt,
		&rec.Outcome, &rec.Score, &rec.Reason, &rec.Measurements, &rec.Verdict); err != nil {
		return nil, err
	}
	rec.StartedAt, rec.EndedAt = utc(rec.StartedAt), utc(rec.EndedAt)
	return &rec, nil
}
