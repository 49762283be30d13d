package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// IncidentInsert inserts inc in one conditional write; SQLite's one writer
// orders concurrent inserts, so a loser reads the winner's row right after.
func (q *queries) IncidentInsert(ctx context.Context, inc *model.Incident) (*model.Incident, bool, error) {
	if inc.RecordedAt.IsZero() {
		inc.RecordedAt = q.nowUTC()
	}
	var labels any
	if len(inc.Labels) > 0 {
		labels = mustJSON(inc.Labels)
	}
	var id string
	err := q.write.QueryRowContext(ctx, query("IncidentInsert"),
		sql.Named("id", inc.ID), sql.Named("application", inc.Application), sql.Named("environment", inc.Environment),
		sql.Named("title", inc.Title), sql.Named("source", inc.Source), sql.Named("started_at", formatTime(inc.StartedAt)),
		sql.Named("resolved_at", formatTimePtr(inc.ResolvedAt)), sql.Named("opened_by", inc.OpenedBy),
		sql.Named("resolved_by", inc.ResolvedBy), sql.Named("url", inc.URL), sql.Named("labels", labels),
		sql.Named("recorded_at", formatTime(inc.RecordedAt))).Scan(&id)
	switch {
	case err == nil:
		stored, err := q.incidentGet(ctx, q.write, inc.ID)
		return stored, true, err
	case !errors.Is(err, sql.ErrNoRows):
		return nil, false, fmt.Errorf("incident %s: insert: %w", inc.ID, err)
	}
	stored, err := q.incidentGet(ctx, q.write, inc.ID)
	return stored, false, err
}

// IncidentGet implements store.Queries.
func (q *queries) IncidentGet(ctx context.Context, id string) (*model.Incident, error) {
	return q.incidentGet(ctx, q.read, id)
}

func (q *queries) incidentGet(ctx context.Context, db dbtx, id string) (*model.Incident, error) {
	inc, err := scanIncident(db.QueryRowContext(ctx, query("IncidentGet"), sql.Named("id", id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: incident %q: list incidents with `gennaker incidents list`", store.ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("incident %s: read: %w", id, err)
	}
	return inc, nil
}

// IncidentList implements store.Queries.
func (q *queries) IncidentList(ctx context.Context, params store.IncidentListParams) ([]model.Incident, error) {
	var beforeStartedAt any
	beforeID := ""
	if c := params.Before; c != nil {
		beforeStartedAt, beforeID = formatTime(c.StartedAt), c.ID
	}
	out, err := listRows(ctx, q, "IncidentList", scanIncident,
		sql.Named("application", params.Application),
		sql.Named("applications", jsonArray(params.Applications)),
		sql.Named("environment", params.Environment),
		sql.Named("open_only", params.OpenOnly),
		sql.Named("before_started_at", beforeStartedAt),
		sql.Named("before_id", beforeID),
		sql.Named("limit", params.PageSize()))
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// IncidentResolve implements store.Queries.
func (q *queries) IncidentResolve(ctx context.Context, params store.IncidentResolveParams) (*model.Incident, bool, error) {
	var id string
	err := q.write.QueryRowContext(ctx, query("IncidentResolve"), sql.Named("id", params.ID),
		sql.Named("at", formatTime(params.At)), sql.Named("by", params.By)).Scan(&id)
	resolved := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("incident %s: resolve at %s: %w", params.ID, params.At.UTC().Format(timeLayout), err)
	}
	inc, err := q.incidentGet(ctx, q.write, params.ID)
	if err != nil {
		return nil, false, err
	}
	return inc, resolved, nil
}

func scanIncident(row rowScanner) (*model.Incident, error) {
	var (
		inc                 model.Incident
		started, recorded   string
		resolved, labelsRaw sql.NullString
	)
	if err := row.Scan(&inc.ID, &inc.Application, &inc.Environment, &inc.Title, &inc.Source, &started, &resolved,
		&inc.OpenedBy, &inc.ResolvedBy, &inc.URL, &labelsRaw, &recorded); err != nil {
		return nil, err
	}
	var err error
	if inc.StartedAt, err = parseTime(started); err != nil {
		return nil, fmt.Errorf("incident %s: started_at: %w", inc.ID, err)
	}
	if inc.ResolvedAt, err = parseTimePtr(resolved); err != nil {
		return nil, fmt.Errorf("incident %s: resolved_at: %w", inc.ID, err)
	}
	if inc.RecordedAt, err = parseTime(recorded); err != nil {
		return nil, fmt.Errorf("incident %s: recorded_at: %w", inc.ID, err)
	}
	if labelsRaw.Valid {
		if err := json.Unmarshal([]byte(labelsRaw.String), &inc.Labels); err != nil {
			return nil, fmt.Errorf("incident %s: labels: %w", inc.ID, err)
		}
	}
	return &inc, nil
}
