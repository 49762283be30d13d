package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// TrafficSecondsInsert implements store.Queries.
func (q *queries) TrafficSecondsInsert(ctx context.Context, secs []store.TrafficSecond) error {
	if len(secs) == 0 {
		return nil
	}
	return q.atomic(ctx, func(q *queries) error {
		for _, s := range secs {
			b, err := json.Marshal(s.Latency)
			if err != nil {
				return err
			}
			if _, err := q.write.ExecContext(ctx, query("TrafficSecondInsert"),
				sql.Named("application", s.Application), sql.Named("environment", s.Environment), sql.Named("server_group", s.ServerGroup),
				sql.Named("second", s.Time.Unix()), sql.Named("requests", int64(s.Requests)), sql.Named("errors", int64(s.Errors)),
				sql.Named("sum_seconds", s.SumSeconds), sql.Named("buckets", string(b))); err != nil {
				return fmt.Errorf("store the traffic of %s at %s: %w", s.ServerGroup, s.Time.Format(time.RFC3339), err)
			}
		}
		return nil
	})
}

// TrafficSecondsList implements store.Queries.
func (q *queries) TrafficSecondsList(ctx context.Context, p store.TrafficSecondsParams) ([]store.TrafficSecond, error) {
	rows, err := q.read.QueryContext(ctx, query("TrafficSecondList"),
		sql.Named("application", p.Application), sql.Named("environment", p.Environment), sql.Named("server_group", p.ServerGroup),
		sql.Named("from", p.From.Unix()), sql.Named("to", p.To.Unix()))
	if err != nil {
		return nil, fmt.Errorf("list the traffic of %s: %w", p.ServerGroup, err)
	}
	defer rows.Close()
	var out []store.TrafficSecond
	for rows.Next() {
		s := store.TrafficSecond{Application: p.Application, Environment: p.Environment, ServerGroup: p.ServerGroup}
		var sec, requests, errs int64
		var buckets string
		if err := rows.Scan(&sec, &requests, &errs, &s.SumSeconds, &buckets); err != nil {
			return nil, fmt.Errorf("list the traffic of %s: %w", p.ServerGroup, err)
		}
		s.Time, s.Requests, s.Errors = time.Unix(sec, 0).UTC(), uint64(requests), uint64(errs)
		if err := json.Unmarshal([]byte(buckets), &s.Latency); err != nil {
			return nil, fmt.Errorf("the traffic of %s at %s: %w", p.ServerGroup, s.Time.Format(time.RFC3339), err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// TrafficSecondsDeleteBefore implements store.Queries.
func (q *queries) TrafficSecondsDeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.write.ExecContext(ctx, query("TrafficSecondDeleteBefore"), sql.Named("before", before.Unix()))
	if err != nil {
		return 0, fmt.Errorf("delete traffic before %s: %w", before.Format(time.RFC3339), err)
	}
	return res.RowsAffected()
}
