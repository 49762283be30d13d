package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// EventInsert appends ev to the delivery log and returns its ID, which it
// also sets on ev. A zero Time is set to now.
func (q *queries) EventInsert(ctx context.Context, ev *model.Event) error {
	if ev.Time.IsZero() {
		ev.Time = q.nowUTC()
	}
	_, err := q.write.ExecContext(ctx, query("EventInsert"),
		sql.Named("time", formatTime(ev.Time)),
		sql.Named("kind", string(ev.Kind)),
		sql.Named("application", ev.Application),
		sql.Named("environment", ev.Environment),
		sql.Named("version", ev.Version),
		sql.Named("from_version", ev.FromVersion),
		sql.Named("execution_id", ev.ExecutionID),
		sql.Named("stage", ev.Stage),
		sql.Named("trigger", ev.Trigger),
		sql.Named("actor", ev.Actor),
		sql.Named("commit_sha", ev.CommitSHA),
		sql.Named("commit_time", formatTimePtr(ev.CommitTime)),
		sql.Named("action", ev.Action),
		sql.Named("detail", ev.Detail),
		sql.Named("ref", ev.Ref))
	if err != nil {
		return fmt.Errorf("append %s event: %w", ev.Kind, err)
	}
	return nil
}

// EventList returns events matching params in ascending ID order.
func (q *queries) EventList(ctx context.Context, params store.EventListParams) ([]model.Event, error) {
	limit := params.PageSize()
	name := "EventList"
	if params.Newest {
		name = "EventListNewest"
	}
	since := ""
	if !params.Since.IsZero() {
		since = formatTime(params.Since)
	}
	events, err := listRows(ctx, q, name, scanEvent,
		sql.Named("application", params.Application),
		sql.Named("applications", jsonArray(params.Applications)),
		sql.Named("environment", params.Environment),
		sql.Named("kinds", jsonArray(params.Kinds)),
		sql.Named("after_id", params.AfterID),
		sql.Named("before_id", params.BeforeBound()),
		sql.Named("since", since),
		sql.Named("limit", limit))
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return events, nil
}

func scanEvent(row rowScanner) (*model.Event, error) {
	var (
		ev         model.Event
		t          string
		commitTime sql.NullString
	)
	if err := row.Scan(&ev.ID, &t, &ev.Kind, &ev.Application, &ev.Environment, &ev.Version, &ev.FromVersion,
		&ev.ExecutionID, &ev.Stage, &ev.Trigger, &ev.Actor, &ev.CommitSHA, &commitTime,
		&ev.Action, &ev.Detail, &ev.Ref); err != nil {
		return nil, err
	}
	var err error
	if ev.Time, err = parseTime(t); err != nil {
		return nil, fmt.Errorf("event %d: time: %w", ev.ID, err)
	}
	if ev.CommitTime, err = parseTimePtr(commitTime); err != nil {
		return nil, fmt.Errorf("event %d: commit_time: %w", ev.ID, err)
	}
	return &ev, nil
}
