package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// ServerGroupInsert stores a new server group; ErrConflict when its name in
// its environment, or its sequence for the application and environment, is
// taken. Zero CreatedAt and UpdatedAt are set to now.
func (q *queries) ServerGroupInsert(ctx context.Context, sg *model.ServerGroup) error {
	now := q.nowUTC()
	if sg.CreatedAt.IsZero() {
		sg.CreatedAt = now
	}
	if sg.UpdatedAt.IsZero() {
		sg.UpdatedAt = sg.CreatedAt
	}
	_, err := q.db.Exec(ctx, query("ServerGroupInsert"), pgx.NamedArgs{
		"name":         sg.Name,
		"application":  sg.Application,
		"environment":  sg.Environment,
		"sequence":     sg.Sequence,
		"version":      sg.Version,
		"role":         string(sg.Role),
		"status":       string(sg.Status),
		"instances":    sg.Instances,
		"weight":       sg.Weight,
		"env":          mustJSON(sg.Env),
		"execution_id": sg.ExecutionID,
		"last_good":    sg.LastGood,
		"rolled_back":  sg.RolledBack,
		"created_at":   sg.CreatedAt,
		"updated_at":   sg.UpdatedAt,
	})
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
	sg, err := scanServerGroup(q.db.QueryRow(ctx, query("ServerGroupGet"),
		pgx.NamedArgs{"environment": environment, "name": name}))
	if errors.Is(err, pgx.ErrNoRows) {
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
	groups, err := listRows(ctx, q, "ServerGroupList", scanServerGroup, pgx.NamedArgs{
		"application":       params.Application,
		"environment":       params.Environment,
		"include_destroyed": params.IncludeDestroyed,
	})
	if err != nil {
		return nil, fmt.Errorf("list server groups: %w", err)
	}
	return groups, nil
}

// ServerGroupUpdate writes the non-nil fields of params, guarded by
// params.From when set: a group in another status is ErrConflict, a missing
// one ErrNotFound.
func (q *queries) ServerGroupUpdate(ctx context.Context, params store.ServerGroupUpdateParams) error {
	if params.Environment == "" {
		return errNoEnvironment("update", params.Name)
	}
	what := "update server group " + params.Name + " in " + params.Environment
	tag, err := q.db.Exec(ctx, query("ServerGroupUpdate"), pgx.NamedArgs{
		"environment": params.Environment,
		"name":        params.Name,
		"from":        strs(params.From),
		"status":      textOrNull(params.Status),
		"weight":      params.Weight,
		"instances":   params.Instances,
		"last_good":   params.LastGood,
		"rolled_back": params.RolledBack,
		"role":        textOrNull(params.Role),
		"now":         q.nowUTC(),
	})
	if err != nil {
		return fmt.Errorf("%s: %w (weight must be 0-100, instances 0 or more, status a known one)", what, err)
	}
	return q.checkGuarded(ctx, tag, what, fmt.Sprintf("one of %v", params.From),
		query("ServerGroupStatus"), pgx.NamedArgs{"environment": params.Environment, "name": params.Name})
}

// ServerGroupNextSequence returns 1 + the highest sequence ever used for
// application in environment, destroyed server groups included.
func (q *queries) ServerGroupNextSequence(ctx context.Context, application, environment string) (int, error) {
	var seq int
	err := q.db.QueryRow(ctx, query("ServerGroupNextSequence"),
		pgx.NamedArgs{"application": application, "environment": environment}).Scan(&seq)
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

// textOrNull binds an optional string-kinded value as text: nil is NULL.
func textOrNull[T ~string](p *T) *string {
	if p == nil {
		return nil
	}
	s := string(*p)
	return &s
}

func scanServerGroup(row pgx.Row) (*model.ServerGroup, error) {
	var (
		sg           model.ServerGroup
		role, status string
		env          []byte
	)
	if err := row.Scan(&sg.Name, &sg.Application, &sg.Environment, &sg.Sequence, &sg.Version,
		&role, &status, &sg.Instances, &sg.Weight, &env, &sg.ExecutionID,
		&sg.LastGood, &sg.RolledBack, &sg.CreatedAt, &sg.UpdatedAt); err != nil {
		return nil, err
	}
	sg.Role, sg.Status = model.ServerGroupRole(role), model.ServerGroupStatus(status)
	if err := json.Unmarshal(env, &sg.Env); err != nil {
		return nil, fmt.Errorf("server group %s: decode env: %w", sg.Name, err)
	}
	sg.CreatedAt, sg.UpdatedAt = utc(sg.CreatedAt), utc(sg.UpdatedAt)
	return &sg, nil
}

// serverGroupListOf lists the server groups of params.Applications in one
// query (params.Application and params.Environment narrow the answer).
func (q *queries) serverGroupListOf(ctx context.Context, params store.ServerGroupListParams) ([]model.ServerGroup, error) {
	groups, err := listRows(ctx, q, "ServerGroupListOfApplications", scanServerGroup, pgx.NamedArgs{
		"applications":      strs(params.Applications),
		"include_destroyed": params.IncludeDestroyed,
	})
	if err != nil {
		return nil, fmt.Errorf("list server groups of %d applications: %w", len(params.Applications), err)
	}
	return store.NarrowServerGroups(groups, params), nil
}
