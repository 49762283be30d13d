package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gennaker/gennaker/internal/store"
)

// AnalysisInsert stores one judged interval; ErrConflict if its sequence is
// already recorded for the stage.
func (q *queries) AnalysisInsert(ctx context.Context, rec *store.AnalysisRecord) error {
	what := fmt.Sprintf("insert analysis record %d of stage %q of execution %s", rec.Sequence, rec.Stage, rec.ExecutionID)
	_, err := q.write.ExecContext(ctx, query("AnalysisInsert"),
		sql.Named("execution_id", rec.ExecutionID),
		sql.Named("stage", rec.Stage),
		sql.Named("sequence", rec.Sequence),
		sql.Named("started_at", formatTime(rec.StartedAt)),
		sql.Named("ended_at", formatTime(rec.EndedAt)),
		sql.Named("outcome", rec.Outcome),
		sql.Named("score", rec.Score),
		sql.Named("reason", rec.Reason),
		sql.Named("measurements", rawOrNull(rec.Measurements)),
		sql.Named("verdict", rawOrNull(rec.Verdict)))
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
	recs, err := listRows(ctx, q, "AnalysisList", scanAnalysisRecord, sql.Named("execution_id", executionID))
	if err != nil {
		return nil, fmt.Errorf("list analysis records of execution %s: %w", executionID, err)
	}
	return recs, nil
}

func scanAnalysisRecord(row rowScanner) (*store.AnalysisRecord, error) {
	var (
		rec                   store.AnalysisRecord
		startedAt, endedAt    string
		measurements, verdict sql.NullString
	)
	if err := row.Scan(&rec.ExecutionID, &rec.Stage, &rec.Sequence, &startedAt, &endedAt,
		&rec.Outcome, &rec.Score, &rec.Reason, &measurements, &verdict); err != nil {
		return nil, err
	}
	var err error
	if rec.StartedAt, err = parseTime(startedAt); err != nil {
		return nil, fmt.Errorf("analysis record %d of stage %q: started_at: %w", rec.Sequence, rec.Stage, err)
	}
	if rec.EndedAt, err = parseTime(endedAt); err != nil {
		return nil, fmt.Errorf("analysis record %d of stage %q: ended_at: %w", rec.Sequence, rec.Stage, err)
	}
	rec.Measurements = nullRaw(measurements)
	rec.Verdict = nullRaw(verdict)
	return &rec, nil
}
