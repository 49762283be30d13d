package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/store"
)

// KPICursorLock implements store.Queries: in a transaction the cursor's
// row stays locked until it ends.
func (q *queries) KPICursorLock(ctx context.Context) (int64, error) {
	var id int64
	if _, err := q.db.Exec(ctx, query("KPICursorInit")); err != nil {
		return 0, fmt.Errorf("kpi: starting the fold's cursor: %w", err)
	}
	if err := q.db.QueryRow(ctx, query("KPICursorLock")).Scan(&id); err != nil {
		return 0, fmt.Errorf("kpi: reading the fold's cursor: %w", err)
	}
	return id, nil
}

// KPICursorSet implements store.Queries.
func (q *queries) KPICursorSet(ctx context.Context, eventID int64) error {
	if _, err := q.db.Exec(ctx, query("KPICursorSet"), pgx.NamedArgs{"event": eventID}); err != nil {
		return fmt.Errorf("kpi: moving the fold's cursor to event %d: %w", eventID, err)
	}
	return nil
}

// KPIDocGet implements store.Queries.
func (q *queries) KPIDocGet(ctx context.Context, kind string, keys []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(keys) == 0 {
		return out, nil
	}
	if err := q.kpiDocs(ctx, out, "KPIDocGet", pgx.NamedArgs{"kind": kind, "keys": keys}); err != nil {
		return nil, fmt.Errorf("kpi: reading %s documents: %w", kind, err)
	}
	return out, nil
}

// KPIDocList implements store.Queries.
func (q *queries) KPIDocList(ctx context.Context, kind string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if err := q.kpiDocs(ctx, out, "KPIDocList", pgx.NamedArgs{"kind": kind}); err != nil {
		return nil, fmt.Errorf("kpi: listing %s documents: %w", kind, err)
	}
	return out, nil
}

func (q *queries) kpiDocs(ctx context.Context, out map[string][]byte, name string, args pgx.NamedArgs) error {
	rows, err := q.db.Query(ctx, query(name), args)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var doc []byte
		if err := rows.Scan(&key, &doc); err != nil {
			return err
		}
		out[key] = doc
	}
	return rows.Err()
}

// KPIDocPut implements store.Queries, in one round trip.
func (q *queries) KPIDocPut(ctx context.Context, kind string, docs map[string][]byte) error {
	b := &pgx.Batch{}
	for key, doc := range docs {
		if doc == nil {
			b.Queue(query("KPIDocDelete"), pgx.NamedArgs{"kind": kind, "key": key})
		} else {
			b.Queue(query("KPIDocPut"), pgx.NamedArgs{"kind": kind, "key": key, "doc": doc})
		}
	}
	if err := q.sendBatch(ctx, b); err != nil {
		return fmt.Errorf("kpi: writing %s documents: %w", kind, err)
	}
	return nil
}

func (q *queries) sendBatch(ctx context.Context, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return q.db.SendBatch(ctx, b).Close()
}

// KPIDayGet implements store.Queries.
func (q *queries) KPIDayGet(ctx context.Context, keys []store.KPIDayKey) ([]store.KPIDay, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	days, apps, envs := make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		days[i], apps[i], envs[i] = dayText(k.Day), k.Application, k.Environment
	}
	out, err := q.kpiDays(ctx, "KPIDayGet", pgx.NamedArgs{"days": days, "applications": apps, "environments": envs})
	if err != nil {
		return nil, fmt.Errorf("kpi: reading rollups: %w", err)
	}
	return out, nil
}

// KPIDayPut implements store.Queries, in one round trip.
func (q *queries) KPIDayPut(ctx context.Context, days []store.KPIDay) error {
	b := &pgx.Batch{}
	for _, d := range days {
		vals := d.Values
		if vals == nil {
			vals = []byte{}
		}
		b.Queue(query("KPIDayPut"), pgx.NamedArgs{"day": dayText(d.Day), "application": d.Application, "environment": d.Environment,
			"counts": d.Counts, "vals": vals, "event": d.Event})
	}
	if err := q.sendBatch(ctx, b); err != nil {
		return fmt.Errorf("kpi: writing rollups: %w", err)
	}
	return nil
}

// KPIDayList implements store.Queries.
func (q *queries) KPIDayList(ctx context.Context, params store.KPIDayListParams) ([]store.KPIDay, error) {
	out, err := q.kpiDays(ctx, "KPIDayList", pgx.NamedArgs{"from": dayText(params.From), "to": dayText(params.To),
		"any_app": params.Applications == nil, "applications": nonNilStrings(params.Applications),
		"any_env": params.Environments == nil, "environments": nonNilStrings(params.Environments)})
	if err != nil {
		return nil, fmt.Errorf("kpi: listing rollups: %w", err)
	}
	return out, nil
}

// KPIDayChanged implements store.Queries.
func (q *queries) KPIDayChanged(ctx context.Context, afterEvent int64, limit int) ([]store.KPIDay, error) {
	out, err := q.kpiDays(ctx, "KPIDayChanged", pgx.NamedArgs{"after": afterEvent, "limit": limit})
	if err != nil {
		return nil, fmt.Errorf("kpi: listing rollups changed after event %d: %w", afterEvent, err)
	}
	return out, nil
}

// dayText is a day as both stores keep it: YYYY-MM-DD, UTC.
func dayText(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (q *queries) kpiDays(ctx context.Context, name string, args pgx.NamedArgs) ([]store.KPIDay, error) {
	rows, err := q.db.Query(ctx, query(name), args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.KPIDay
	for rows.Next() {
		var d store.KPIDay
		var day string
		if err := rows.Scan(&day, &d.Application, &d.Environment, &d.Counts, &d.Values, &d.Event); err != nil {
			return nil, err
		}
		t, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return nil, fmt.Errorf("kpi rollup day %q: %w", day, err)
		}
		d.Day = t
		out = append(out, d)
	}
	return out, rows.Err()
}

// KPIActorAdd implements store.Queries, in one round trip.
func (q *queries) KPIActorAdd(ctx context.Context, rows []store.KPIActor) error {
	b := &pgx.Batch{}
	for _, r := range rows {
		b.Queue(query("KPIActorAdd"), pgx.NamedArgs{"day": dayText(r.Day), "application": r.Application, "actor": r.Actor, "event": r.Event})
	}
	if err := q.sendBatch(ctx, b); err != nil {
		return fmt.Errorf("kpi: recording actors: %w", err)
	}
	return nil
}

// KPIActorList implements store.Queries.
func (q *queries) KPIActorList(ctx context.Context, from, to time.Time) ([]store.KPIActor, error) {
	out, err := q.kpiActors(ctx, "KPIActorList", pgx.NamedArgs{"from": dayText(from), "to": dayText(to)})
	if err != nil {
		return nil, fmt.Errorf("kpi: listing active actors: %w", err)
	}
	return out, nil
}

// KPIActorChanged implements store.Queries.
func (q *queries) KPIActorChanged(ctx context.Context, afterEvent int64, limit int) ([]store.KPIActor, error) {
	out, err := q.kpiActors(ctx, "KPIActorChanged", pgx.NamedArgs{"after": afterEvent, "limit": limit})
	if err != nil {
		return nil, fmt.Errorf("kpi: listing actors added after event %d: %w", afterEvent, err)
	}
	return out, nil
}

func (q *queries) kpiActors(ctx context.Context, name string, args pgx.NamedArgs) ([]store.KPIActor, error) {
	rows, err := q.db.Query(ctx, query(name), args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.KPIActor
	for rows.Next() {
		var a store.KPIActor
		var day string
		if err := rows.Scan(&day, &a.Application, &a.Actor, &a.Event); err != nil {
			return nil, err
		}
		t, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return nil, fmt.Errorf("kpi actor day %q: %w", day, err)
		}
		a.Day = t
		out = append(out, a)
	}
	return out, rows.Err()
}
