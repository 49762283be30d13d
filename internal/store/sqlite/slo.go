package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// SLOStatusPut implements store.Queries.
func (q *queries) SLOStatusPut(ctx context.Context, st model.SLOStatus) error {
	b, err := sloStatusJSON(st)
	if err != nil {
		return err
	}
	if _, err := q.write.ExecContext(ctx, query("SLOStatusPut"), sql.Named("name", st.Name),
		sql.Named("application", st.Application), sql.Named("status", string(b))); err != nil {
		return fmt.Errorf("slo %s: storing its status: %w", st.Name, err)
	}
	return nil
}

// sloStatusJSON is a status's stored form, refused above the size guard.
func sloStatusJSON(st model.SLOStatus) ([]byte, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("slo %s: encoding its status: %w", st.Name, err)
	}
	if len(b) > store.MaxSLOStatusBytes {
		return nil, fmt.Errorf("slo %s: its status is %d bytes, above the %d allowed: give it fewer objectives or alerts", st.Name, len(b), store.MaxSLOStatusBytes)
	}
	return b, nil
}

// SLOStatusGet implements store.Queries.
func (q *queries) SLOStatusGet(ctx context.Context, name string) (*model.SLOStatus, error) {
	var b []byte
	err := q.read.QueryRowContext(ctx, query("SLOStatusGet"), sql.Named("name", name)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: slo %q has no evaluation yet: the evaluator writes one within a minute of the SLO's apply", store.ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("slo %s: reading its status: %w", name, err)
	}
	var st model.SLOStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("slo %s: its stored status: %w", name, err)
	}
	return &st, nil
}

// SLOStatusList implements store.Queries.
func (q *queries) SLOStatusList(ctx context.Context) ([]model.SLOStatus, error) {
	out, err := listRows(ctx, q, "SLOStatusList", func(r rowScanner) (*model.SLOStatus, error) {
		var b []byte
		if err := r.Scan(&b); err != nil {
			return nil, err
		}
		var st model.SLOStatus
		return &st, json.Unmarshal(b, &st)
	})
	if err != nil {
		return nil, fmt.Errorf("listing SLO statuses: %w", err)
	}
	return out, nil
}

// SLOStatusDelete implements store.Queries.
func (q *queries) SLOStatusDelete(ctx context.Context, name string) error {
	return q.atomic(ctx, func(q *queries) error {
		for _, n := range []string{"SLOStatusDelete", "SLOPointDeleteOf"} {
			if _, err := q.write.ExecContext(ctx, query(n), sql.Named("name", name)); err != nil {
				return fmt.Errorf("slo %s: deleting its evaluations: %w", name, err)
			}
		}
		return nil
	})
}

// SLOPointAdd implements store.Queries.
func (q *queries) SLOPointAdd(ctx context.Context, pts []store.SLOPoint) error {
	if len(pts) == 0 {
		return nil
	}
	return q.atomic(ctx, func(q *queries) error {
		for _, p := range pts {
			if _, err := q.write.ExecContext(ctx, query("SLOPointAdd"), sql.Named("slo", p.SLO), sql.Named("at", p.At.UnixMicro()),
				sql.Named("good", p.Good), sql.Named("total", p.Total), sql.Named("budget_remaining", p.BudgetRemaining),
				sql.Named("burn_rate", p.BurnRate)); err != nil {
				return fmt.Errorf("slo %s: storing its point at %s: %w", p.SLO, p.At.Format(time.RFC3339), err)
			}
		}
		return nil
	})
}

// SLOPointList implements store.Queries.
func (q *queries) SLOPointList(ctx context.Context, p store.SLOPointListParams) ([]store.SLOPoint, error) {
	out, err := listRows(ctx, q, "SLOPointList", func(r rowScanner) (*store.SLOPoint, error) {
		var pt store.SLOPoint
		var at int64
		if err := r.Scan(&pt.SLO, &at, &pt.Good, &pt.Total, &pt.BudgetRemaining, &pt.BurnRate); err != nil {
			return nil, err
		}
		pt.At = time.UnixMicro(at).UTC()
		return &pt, nil
	}, sql.Named("slo", p.SLO), sql.Named("from", p.From.UnixMicro()), sql.Named("to", p.To.UnixMicro()), sql.Named("limit", store.SLOPointLimit(p.Limit)))
	if err != nil {
		return nil, fmt.Errorf("slo %s: listing its points: %w", p.SLO, err)
	}
	slices.Reverse(out) // read newest first, so a cap keeps the newest
	return out, nil
}

// SLOPointDeleteBefore implements store.Queries.
func (q *queries) SLOPointDeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.write.ExecContext(ctx, query("SLOPointDeleteBefore"), sql.Named("before", before.UnixMicro()))
	if err != nil {
		return 0, fmt.Errorf("deleting SLO points before %s: %w", before.Format(time.RFC3339), err)
	}
	return res.RowsAffected()
}

// TrafficMinutePut implements store.Queries.
func (q *queries) TrafficMinutePut(ctx context.Context, mins []store.TrafficMinute) error {
	if len(mins) == 0 {
		return nil
	}
	return q.atomic(ctx, func(q *queries) error {
		for _, m := range mins {
			if err := store.CheckTrafficMinute(m); err != nil {
				return err
			}
			if _, err := q.write.ExecContext(ctx, query("TrafficMinutePut"), sql.Named("application", m.Application),
				sql.Named("environment", m.Environment), sql.Named("minute", m.Minute.Unix()),
				sql.Named("requests", int64(m.Requests)), sql.Named("errors", int64(m.Errors)), sql.Named("latency", nonNil(m.Latency))); err != nil {
				return fmt.Errorf("storing the traffic of %s in %s at %s: %w", m.Application, m.Environment, m.Minute.Format(time.RFC3339), err)
			}
		}
		return nil
	})
}

// TrafficMinuteList implements store.Queries.
func (q *queries) TrafficMinuteList(ctx context.Context, p store.TrafficMinuteListParams) ([]store.TrafficMinute, error) {
	out, err := listRows(ctx, q, "TrafficMinuteList", func(r rowScanner) (*store.TrafficMinute, error) {
		var m store.TrafficMinute
		var minute, requests, errs int64
		if err := r.Scan(&m.Application, &m.Environment, &minute, &requests, &errs, &m.Latency); err != nil {
			return nil, err
		}
		m.Minute, m.Requests, m.Errors = time.Unix(minute, 0).UTC(), uint64(requests), uint64(errs)
		return &m, nil
	}, sql.Named("application", p.Application), sql.Named("environment", p.Environment),
		sql.Named("from", store.MinuteCeil(p.From)), sql.Named("to", store.MinuteCeil(p.To)))
	if err != nil {
		return nil, fmt.Errorf("listing the traffic minutes of %s: %w", p.Application, err)
	}
	return out, nil
}

// TrafficMinuteDeleteBefore implements store.Queries.
func (q *queries) TrafficMinuteDeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.write.ExecContext(ctx, query("TrafficMinuteDeleteBefore"), sql.Named("before", before.Unix()))
	if err != nil {
		return 0, fmt.Errorf("deleting traffic minutes before %s: %w", before.Format(time.RFC3339), err)
	}
	return res.RowsAffected()
}

// TrafficSecondsBetween implements store.Queries.
func (q *queries) TrafficSecondsBetween(ctx context.Context, from, to time.Time) ([]store.TrafficSecond, error) {
	out, err := listRows(ctx, q, "TrafficSecondBetween", func(r rowScanner) (*store.TrafficSecond, error) {
		var s store.TrafficSecond
		var sec, requests, errs int64
		var buckets string
		if err := r.Scan(&s.Application, &s.Environment, &s.ServerGroup, &sec, &requests, &errs, &s.SumSeconds, &buckets); err != nil {
			return nil, err
		}
		s.Time, s.Requests, s.Errors = time.Unix(sec, 0).UTC(), uint64(requests), uint64(errs)
		if err := json.Unmarshal([]byte(buckets), &s.Latency); err != nil {
			return nil, fmt.Errorf("the traffic of %s at %s: %w", s.ServerGroup, s.Time.Format(time.RFC3339), err)
		}
		return &s, nil
	}, sql.Named("from", from.Unix()), sql.Named("to", to.Unix()))
	if err != nil {
		return nil, fmt.Errorf("listing the traffic seconds in [%s, %s): %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}

// SLOLeaseAcquire implements store.Queries.
func (q *queries) SLOLeaseAcquire(ctx context.Context, holder string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := q.write.ExecContext(ctx, query("SLOLeaseAcquire"), sql.Named("holder", holder),
		sql.Named("until", now.Add(ttl).UnixMicro()), sql.Named("now", now.UnixMicro()))
	if err != nil {
		return false, fmt.Errorf("taking the SLO evaluator's lease for %s: %w", holder, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
