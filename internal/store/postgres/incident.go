package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// IncidentInsert inserts inc in one conditional insert. Under READ
// COMMITTED a concurrent insert of the same ID waits on the first one's
// row until its transaction ends: when it committed, the insert does
// nothing and IncidentGet (a new snapshot) reads the winner's row; when it
// rolled back, the insert wins.
func (q *queries) IncidentInsert(ctx context.Context, inc *model.Incident) (*model.Incident, bool, error) {
	if inc.RecordedAt.IsZero() {
		inc.RecordedAt = q.nowUTC()
	}
	var labels any
	if len(inc.Labels) > 0 {
		labels = mustJSON(inc.Labels)
	}
	var id string
	err := q.db.QueryRow(ctx, query("IncidentInsert"), pgx.NamedArgs{
		"id": inc.ID, "application": inc.Application, "environment": inc.Environment, "title": inc.Title,
		"source": inc.Source, "started_at": inc.StartedAt.UTC(), "resolved_at": utcPtr(inc.ResolvedAt),
		"opened_by": inc.OpenedBy, "resolved_by": inc.ResolvedBy, "url": inc.URL, "labels": labels,
		"recorded_at": inc.RecordedAt.UTC(),
	}).Scan(&id)
	switch {
	case err == nil:
		stored, err := q.IncidentGet(ctx, inc.ID)
		return stored, true, err
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, false, fmt.Errorf("incident %s: insert: %w", inc.ID, err)
	}
	stored, err := q.IncidentGet(ctx, inc.ID)
	return stored, false, err
}

// IncidentGet implements store.Queries.
func (q *queries) IncidentGet(ctx context.Context, id string) (*model.Incident, error) {
	inc, err := scanIncident(q.db.QueryRow(ctx, query("IncidentGet"), pgx.NamedArgs{"id": id}))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: incident %q: list incidents with `gennaker incidents list`", store.ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("incident %s: read: %w", id, err)
	}
	return inc, nil
}

// IncidentList implements store.Queries.
func (q *queries) IncidentList(ctx context.Context, params store.IncidentListParams) ([]model.Incident, error) {
	var beforeStartedAt *time.Time // NULL: from the newest
	beforeID := ""
	if c := params.Before; c != nil {
		t := c.StartedAt.UTC()
		beforeStartedAt, beforeID = &t, c.ID
	}
	out, err := listRows(ctx, q, "IncidentList", scanIncident, pgx.NamedArgs{
		"application":       params.Application,
		"applications":      strs(params.Applications),
		"environment":       params.Environment,
		"open_only":         params.OpenOnly,
		"before_started_at": beforeStartedAt,
		"before_id":         beforeID,
		"limit":             params.PageSize(),
	})
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// IncidentResolve implements store.Queries.
func (q *queries) IncidentResolve(ctx context.Context, params store.IncidentResolveParams) (*model.Incident, bool, error) {
	var id string
	err := q.db.QueryRow(ctx, query("IncidentResolve"), pgx.NamedArgs{"id": params.ID, "at": params.At.UTC(), "by": params.By}).Scan(&id)
	resolved := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, fmt.Errorf("incident %s: resolve at %s: %w", params.ID, params.At.UTC().Format(time.RFC3339Nano), err)
	}
	inc, err := q.IncidentGet(ctx, params.ID)
	if err != nil {
		return nil, false, err
	}
	return inc, resolved, nil
}

func scanIncident(row pgx.Row) (*model.Incident, error) {
	var (
		inc    model.Incident
		labels []byte
	)
	if err := row.Scan(&inc.ID, &inc.Application, &inc.Environment, &inc.Title, &inc.Source, &inc.StartedAt, &inc.ResolvedAt,
		&inc.OpenedBy, &inc.ResolvedBy, &inc.URL, &labels, &inc.RecordedAt); err != nil {
		return nil, err
	}
	inc.StartedAt, inc.ResolvedAt, inc.RecordedAt = utc(inc.StartedAt), utcPtr(inc.ResolvedAt), utc(inc.RecordedAt)
	if labels != nil {
		if err := json.Unmarshal(labels, &inc.Labels); err != nil {
			return nil, fmt.Errorf("incident %s: labels: %w", inc.ID, err)
		}
	}
	return &inc, nil
}
