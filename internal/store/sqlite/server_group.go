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

// ServerGroupInsert stores a new server group; ErrConflict when its name in
// its environment, or its sequence for the application and environment, is taken. Zero
// CreatedAt and UpdatedAt are set to now.
func (q *queries) ServerGroupInsert(ctx context.Context, sg *model.ServerGroup) error {
	now := q.nowUTC()
	if sg.CreatedAt.IsZero() {
		sg.CreatedAt = now
	}
	if sg.UpdatedAt.IsZero() {
		sg.UpdatedAt = sg.CreatedAt
	}
	_, err := q.write.ExecContext(ctx, query("ServerGroupInsert"),
		sql.Named("name", sg.Name),
		sql.Named("application", sg.Application),
		sql.Named("environment", sg.Environment),
		sql.Named("sequence", sg.Sequence),
		sql.Named("version", sg.Version),
		sql.Named("role", string(sg.Role)),
		sql.Named("status", string(sg.Status)),
		sql.Named("instances", sg.Instances),
		sql.Named("weight", sg.Weight),
		sql.Named("env", mustJSON(sg.Env)),
		sql.Named("execution_id", sg.ExecutionID),
		sql.Named("last_good", sg.LastGood),
		sql.Named("rolled_back", sg.RolledBack),
		sql.Named("created_at", formatTime(sg.CreatedAt)),
		sql.Named("updated_at", formatTime(sg.UpdatedAt)))
	if isDuplicate(err) {
		return fmt.Errorf("insert server group %s: %w: the name, or sequence %d of %s, is taken in %s (take ServerGroupNextSequence in the same transaction)",
			sg.Name, store.ErrConflict, sg.Sequence, sg.Application, sg.Environment)
	}
	if err != nil {
		return fmt.Errorf("insert server group %s: %w", sg.Name, err)
	}
	return nil
}

// ServerGroupGet returns one server group of an environment.
func (q *queries) ServerGroupGet(ctx context.Context, environment, name string) (*model.ServerGroup, error) {
	if environment == "" {
		return nil, errNoEnvironment("read", name)
	}
	sg, err := scanServerGroup(q.read.QueryRowContext(ctx, query("ServerGroupGet"),
		sql.Named("environment", environment), sql.Named("name", name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("server group %s in %s: %w", name, environment, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read server group %s in %s: %w", name, environment, err)
	}
	return sg, nil
}

// ServerGroupList returns server groups oldest first.
func (q *queries) ServerGroupList(ctx context.Context, params store.ServerGroupListParams) ([]model.ServerGroup, error) {
	if err := params.Check(); err != nil {
		return nil, err
	}
	if len(params.Applications) > 0 {
		return q.serverGroupListOf(ctx, params)
	}
	groups, err := listRows(ctx, q, "ServerGroupList", scanServerGroup,
		sql.Named("application", params.Application),
		sql.Named("environment", params.Environment),
		sql.Named("include_destroyed", params.IncludeDestroyed))
	if err != nil {
		return nil, fmt.Errorf("list server groups: %w", err)
	}
	return groups, nil
}

// ServerGroupUpdate writes the non-nil fields of params, guarded by params.From when set.
func (q *queries) ServerGroupUpdate(ctx context.Context, params store.ServerGroupUpdateParams) error {
	if params.Environment == "" {
		return errNoEnvironment("update", params.Name)
	}
	what := "update server group " + params.Name + " in " + params.Environment
	res, err := q.write.ExecContext(ctx, query("ServerGroupUpdate"),
		sql.Named("environment", params.Environment),
		sql.Named("name", params.Name),
		sql.Named("from", jsonArray(params.From)),
		sql.Named("status", ptrOrNull(params.Status)),
		sql.Named("weight", ptrOrNull(params.Weight)),
		sql.Named("instances", ptrOrNull(params.Instances)),
		sql.Named("last_good", ptrOrNull(params.LastGood)),
		sql.Named("rolled_back", ptrOrNull(params.RolledBack)),
		sql.Named("role", ptrOrNull(params.Role)),
		sql.Named("now", formatTime(q.nowUTC())))
	if err != nil {
		return fmt.Errorf("%s: %w (weight must be 0-100, instances 0 or more, status a known one)", what, err)
	}
	return q.checkGuarded(ctx, res, what, fmt.Sprintf("one of %v", params.From),
		query("ServerGroupStatus"), sql.Named("environment", params.Environment), sql.Named("name", params.Name))
}

// ServerGroupNextSequence returns 1 + the highest sequence ever used for
// application in environment, destroyed server groups included.
func (q *queries) ServerGroupNextSequence(ctx context.Context, application, environment string) (int, error) {
	var seq int
	err := q.read.QueryRowContext(ctx, query("ServerGroupNextSequence"),
		sql.Named("application", application), sql.Named("environment", environment)).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("next server group sequence of %s in %s: %w", application, environment, err)
	}
	return seq, nil
}

// errNoEnvironment refuses a lookup by name alone: names count per
// environment, so a name can mean one group in each.
func errNoEnvironment(what, name string) error {
	return fmt.Errorf("%s server group %s: no environment given: server groups are known by environment and name (numbers count per environment); pass the group's environment", what, name)
}

func scanServerGroup(row rowScanner) (*model.ServerGroup, error) {
	var (
		sg                   model.ServerGroup
		env                  string
		createdAt, updatedAt string
	)
	if err := row.Scan(&sg.Name, &sg.Application, &sg.Environment, &sg.Sequence, &sg.Version,
		&sg.Role, &sg.Status, &sg.Instances, &sg.Weight, &env, &sg.ExecutionID,
		&sg.LastGood, &sg.RolledBack, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(env), &sg.Env); err != nil {
		return nil, fmt.Errorf("server group %s: decode env: %w", sg.Name, err)
	}
	var err error
	if sg.CreatedAt, err = parseTime(createdAt); err != nil {
		return nil, fmt.Errorf("server group %s: created_at: %w", sg.Name, err)
	}
	if sg.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return nil, fmt.Errorf("server group %s: updated_at: %w", sg.Name, err)
	}
	return &sg, nil
}

// serverGroupListOf lists the server groups of params.Applications in one
// query (params.Application and params.Environment narrow the answer).
func (q *queries) serverGroupListOf(ctx context.Context, params store.ServerGroupListParams) ([]model.ServerGroup, error) {
	groups, err := listRows(ctx, q, "ServerGroupListOfApplications", scanServerGroup,
		sql.Named("applications", jsonArray(params.Applications)),
		sql.Named("include_destroyed", params.IncludeDestroyed))
	if err != nil {
		return nil, fmt.Errorf("list server groups of %d applications: %w", len(params.Applications), err)
	}
	return store.NarrowServerGroups(groups, params), nil
}
