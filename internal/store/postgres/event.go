package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// EventInsert appends ev to the delivery log. A zero Time is set to now.
// In a transaction the insert is held until the commit (held_logs.go), and
// an error in it is the commit's; alone it is its own transaction. Either
// way it takes the commit-order lock (commit_order.go).
func (q *queries) EventInsert(ctx context.Context, ev *model.Event) error {
	if ev.Time.IsZero() {
		ev.Time = q.nowUTC()
	}
	args := pgx.NamedArgs{
		"time":         ev.Time,
		"kind":         string(ev.Kind),
		"application":  ev.Application,
		"environment":  ev.Environment,
		"version":      ev.Version,
		"from_version": ev.FromVersion,
		"execution_id": ev.ExecutionID,
		"stage":        ev.Stage,
		"trigger":      ev.Trigger,
		"actor":        ev.Actor,
		"commit_sha":   ev.CommitSHA,
		"commit_time":  ev.CommitTime,
		"action":       ev.Action,
		"detail":       ev.Detail,
		"ref":          ev.Ref,
	}
	what := fmt.Sprintf("append %s event", ev.Kind)
	if q.held != nil {
		q.held.hold("EventInsert", args, what)
		return nil
	}
	if _, err := q.db.Exec(ctx, query("EventInsert"), args); err != nil {
		return fmt.Errorf("%s: %w", what, err)
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
	var since any // NULL: any time
	if !params.Since.IsZero() {
		since = params.Since
	}
	events, err := listRows(ctx, q, name, scanEvent, pgx.NamedArgs{
		"application":  params.Application,
		"applications": strs(params.Applications),
		"environment":  params.Environment,
		"kinds":        strs(params.Kinds),
		"after_id":     params.AfterID,
		"before_id":    params.BeforeBound(),
		"since":        since,
		"limit":        limit,
	})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return events, nil
}

func scanEvent(row pgx.Row) (*model.Event, error) {
	var ev model.Event
	var kind string
	if err := row.Scan(&ev.ID, &ev.Time, &kind, &ev.Application, &ev.Environment, &ev.Version, &ev.FromVersion,
		&ev.ExecutionID, &ev.Stage, &ev.Trigger, &ev.Actor, &ev.CommitSHA, &ev.CommitTime,
		&ev.Action, &ev.Detail, &ev.Ref); err != nil {
		return nil, err
	}
	ev.Kind = model.EventKind(kind)
	ev.Time, ev.CommitTime = utc(ev.Time), utcPtr(ev.CommitTime)
	return &ev, nil
}
