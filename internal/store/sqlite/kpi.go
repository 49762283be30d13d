package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

const dayLayout = time.DateOnly

// KPICursorLock implements store.Queries: SQLite's one writer already
// holds the cursor for a write transaction.
func (q *queries) KPICursorLock(ctx context.Context) (int64, error) {
	var id int64
	if _, err := q.write.ExecContext(ctx, query("KPICursorInit")); err != nil {
		return 0, fmt.Errorf("kpi: starting the fold's cursor: %w", err)
	}
	if err := q.write.QueryRowContext(ctx, query("KPICursorGet")).Scan(&id); err != nil {
		return 0, fmt.Errorf("kpi: reading the fold's cursor: %w", err)
	}
	return id, nil
}

// KPICursorSet implements store.Queries.
func (q *queries) KPICursorSet(ctx context.Context, eventID int64) error {
	if _, err := q.write.ExecContext(ctx, query("KPICursorSet"), sql.Named("event", eventID)); err != nil {
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
	list, _ := json.Marshal(keys)
	if err := q.kpiDocs(ctx, out, "KPIDocGet", sql.Named("kind", kind), sql.Named("keys", string(list))); err != nil {
		return nil, fmt.Errorf("kpi: reading %s documents: %w", kind, err)
	}
	return out, nil
}

// KPIDocList implements store.Queries.
func (q *queries) KPIDocList(ctx context.Context, kind string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if err := q.kpiDocs(ctx, out, "KPIDocList", sql.Named("kind", kind)); err != nil {
		return nil, fmt.Errorf("kpi: listing %s documents: %w", kind, err)
	}
	return out, nil
}

func (q *queries) kpiDocs(ctx context.Context, out map[string][]byte, name string, args ...any) error {
	rows, err := q.read.QueryContext(ctx, query(name), args...)
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

// KPIDocPut implements store.Queries.
func (q *queries) KPIDocPut(ctx context.Context, kind string, docs map[string][]byte) error {
	for key, doc := range docs {
		var err error
		if doc == nil {
			_, err = q.write.ExecContext(ctx, query("KPIDocDelete"), sql.Named("kind", kind), sql.Named("key", key))
		} else {
			_, err = q.write.ExecContext(ctx, query("KPIDocPut"), sql.Named("kind", kind), sql.Named("key", key), sql.Named("doc", doc))
		}
		if err != nil {
			return fmt.Errorf("kpi: writing %s document %q: %w", kind, key, err)
		}
	}
	return nil
}

// KPIDayGet implements store.Queries.
func (q *queries) KPIDayGet(ctx context.Context, keys []store.KPIDayKey) ([]store.KPIDay, error) {
	var out []store.KPIDay
	for _, k := range keys {
		d, err := scanKPIDay(q.read.QueryRowContext(ctx, query("KPIDayGet"), sql.Named("day", k.Day.UTC().Format(dayLayout)),
			sql.Named("application", k.Application), sql.Named("environment", k.Environment)))
		switch {
		case err == sql.ErrNoRows:
			continue
		case err != nil:
			return nil, fmt.Errorf("kpi: reading the rollup of %s %s %s: %w", k.Application, k.Environment, k.Day.Format(dayLayout), err)
		}
		out = append(out, *d)
	}
	return out, nil
}

// KPIDayPut implements store.Queries.
func (q *queries) KPIDayPut(ctx context.Context, days []store.KPIDay) error {
	for _, d := range days {
		if _, err := q.write.ExecContext(ctx, query("KPIDayPut"), sql.Named("day", d.Day.UTC().Format(dayLayout)),
			sql.Named("application", d.Application), sql.Named("environment", d.Environment),
			sql.Named("counts", d.Counts), sql.Named("vals", nonNil(d.Values)), sql.Named("event", d.Event)); err != nil {
			return fmt.Errorf("kpi: writing the rollup of %s %s %s: %w", d.Application, d.Environment, d.Day.Format(dayLayout), err)
		}
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// KPIDayList implements store.Queries.
func (q *queries) KPIDayList(ctx context.Context, params store.KPIDayListParams) ([]store.KPIDay, error) {
	apps, _ := json.Marshal(params.Applications)
	envs, _ := json.Marshal(params.Environments)
	out, err := listRows(ctx, q, "KPIDayList", scanKPIDay,
		sql.Named("from", params.From.UTC().Format(dayLayout)), sql.Named("to", params.To.UTC().Format(dayLayout)),
		sql.Named("any_app", params.Applications == nil), sql.Named("applications", string(apps)),
		sql.Named("any_env", params.Environments == nil), sql.Named("environments", string(envs)))
	if err != nil {
		return nil, fmt.Errorf("kpi: listing rollups: %w", err)
	}
	return out, nil
}

// KPIDayChanged implements store.Queries.
func (q *queries) KPIDayChanged(ctx context.Context, afterEvent int64, limit int) ([]store.KPIDay, error) {
	out, err := listRows(ctx, q, "KPIDayChanged", scanKPIDay, sql.Named("after", afterEvent), sql.Named("limit", limit))
	if err != nil {
		return nil, fmt.Errorf("kpi: listing rollups changed after event %d: %w", afterEvent, err)
	}
	return out, nil
}

func scanKPIDay(row rowScanner) (*store.KPIDay, error) {
	var d store.KPIDay
	var day string
	if err := row.Scan(&day, &d.Application, &d.Environment, &d.Counts, &d.Values, &d.Event); err != nil {
		return nil, err
	}
	t, err := time.Parse(dayLayout, day)
	if err != nil {
		return nil, fmt.Errorf("kpi rollup day %q: %w", day, err)
	}
	d.Day = t
	return &d, nil
}

// KPIActorAdd implements store.Queries.
func (q *queries) KPIActorAdd(ctx context.Context, rows []store.KPIActor) error {
	for _, r := range rows {
		if _, err := q.write.ExecContext(ctx, query("KPIActorAdd"), sql.Named("day", r.Day.UTC().Format(dayLayout)),
			sql.Named("application", r.Application), sql.Named("actor", r.Actor), sql.Named("event", r.Event)); err != nil {
			return fmt.Errorf("kpi: recording actor %q: %w", r.Actor, err)
		}
	}
	return nil
}

// KPIActorList implements store.Queries.
func (q *queries) KPIActorList(ctx context.Context, from, to time.Time) ([]store.KPIActor, error) {
	out, err := listRows(ctx, q, "KPIActorList", scanKPIActor,
		sql.Named("from", from.UTC().Format(dayLayout)), sql.Named("to", to.UTC().Format(dayLayout)))
	if err != nil {
		return nil, fmt.Errorf("kpi: listing active actors: %w", err)
	}
	return out, nil
}

// KPIActorChanged implements store.Queries.
func (q *queries) KPIActorChanged(ctx context.Context, afterEvent int64, limit int) ([]store.KPIActor, error) {
	out, err := listRows(ctx, q, "KPIActorChanged", scanKPIActor, sql.Named("after", afterEvent), sql.Named("limit", limit))
	if err != nil {
		return nil, fmt.Errorf("kpi: listing actors added after event %d: %w", afterEvent, err)
	}
	return out, nil
}

func scanKPIActor(row rowScanner) (*store.KPIActor, error) {
	var a store.KPIActor
	var day string
	if err := row.Scan(&day, &a.Application, &a.Actor, &a.Event); err != nil {
		return nil, err
	}
	t, err := time.Parse(dayLayout, day)
	if err != nil {
		return nil, fmt.Errorf("kpi actor day %q: %w", day, err)
	}
	a.Day = t
	return &a, nil
}
