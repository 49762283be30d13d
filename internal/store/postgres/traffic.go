package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/store"
)

// TrafficSecondsInsert implements store.Queries: the seconds are stored
// together, in one transaction.
func (q *queries) TrafficSecondsInsert(ctx context.Context, secs []store.TrafficSecond) error {
	if len(secs) == 0 {
		return nil
	}
	return q.atomic(ctx, func(q *queries) error {
		for _, s := range secs {
			b, err := json.Marshal(s.Latency)
			if err != nil {
				return fmt.Errorf("store the traffic of %s at %s: %w", s.ServerGroup, s.Time.Format(time.RFC3339), err)
			}
			if _, err := q.db.Exec(ctx, query("TrafficSecondInsert"), pgx.NamedArgs{
				"application":  s.Application,
				"environment":  s.Environment,
				"server_group": s.ServerGroup,
				"second":       s.Time.Unix(),
				"requests":     int64(s.Requests),
				"errors":       int64(s.Errors),
				"sum_seconds":  s.SumSeconds,
				"buckets":      string(b),
			}); err != nil {
				return fmt.Errorf("store the traffic of %s at %s: %w", s.ServerGroup, s.Time.Format(time.RFC3339), err)
			}
		}
		return nil
	})
}

// TrafficSecondsList implements store.Queries.
func (q *queries) TrafficSecondsList(ctx context.Context, p store.TrafficSecondsParams) ([]store.TrafficSecond, error) {
	scan := func(row pgx.Row) (*store.TrafficSecond, error) {
		s := store.TrafficSecond{Application: p.Application, Environment: p.Environment, ServerGroup: p.ServerGroup}
		var sec, requests, errs int64
		var buckets []byte
		if err := row.Scan(&sec, &requests, &errs, &s.SumSeconds, &buckets); err != nil {
			return nil, err
		}
		s.Time, s.Requests, s.Errors = time.Unix(sec, 0).UTC(), uint64(requests), uint64(errs)
		if err := json.Unmarshal(buckets, &s.Latency); err != nil {
			return nil, fmt.Errorf("the traffic of %s at %s: %w", p.ServerGroup, s.Time.Format(time.RFC3339), err)
		}
		return &s, nil
	}
	secs, err := listRows(ctx, q, "TrafficSecondList", scan, pgx.NamedArgs{
		"application":  p.Application,
		"environment":  p.Environment,
		"server_group": p.ServerGroup,
		"from":         p.From.Unix(),
		"to":           p.To.Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("list the traffic of %s: %w", p.ServerGroup, err)
	}
	return secs, nil
}

// TrafficSecondsDeleteBefore implements store.Queries.
func (q *queries) TrafficSecondsDeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, query("TrafficSecondDeleteBefore"), pgx.NamedArgs{"before": before.Unix()})
	if err != nil {
		return 0, fmt.Errorf("delete traffic before %s: %w", before.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}
