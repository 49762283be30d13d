package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// ConfigApply upserts every object of cfg in one transaction and reports
// each as created, updated or unchanged. Whether a spec changed is decided
// by PostgreSQL's jsonb equality, so the keys jsonb reorders and the
// numbers it normalizes never count as a change.
func (q *queries) ConfigApply(ctx context.Context, cfg model.Config) (store.ApplyResult, error) {
	var res store.ApplyResult
	err := q.atomic(ctx, func(q *queries) error {
		res = store.ApplyResult{}
		now := q.nowUTC()
		upsert := func(kind, name string, spec any, extra pgx.NamedArgs) error {
			return q.upsertConfig(ctx, &res, kind, name, mustJSON(spec), now, extra)
		}
		for _, app := range cfg.Applications {
			if err := upsert(model.KindApplication, app.Name, app, nil); err != nil {
				return err
			}
		}
		for _, env := range cfg.Environments {
			if err := upsert(model.KindEnvironment, env.Name, env, nil); err != nil {
				return err
			}
		}
		for _, p := range cfg.Pipelines {
			if err := upsert(model.KindPipeline, p.Name, p, pgx.NamedArgs{"application": p.Application}); err != nil {
				return err
			}
		}
		for _, t := range cfg.AnalysisTemplates {
			if err := upsert(model.KindAnalysisTemplate, t.Name, t, nil); err != nil {
				return err
			}
		}
		for _, t := range cfg.Teams {
			if err := upsert(model.KindTeam, t.Name, t, nil); err != nil {
				return err
			}
		}
		for _, g := range cfg.Grants {
			if err := upsert(model.KindGrant, g.Name, g, nil); err != nil {
				return err
			}
		}
		for _, n := range cfg.Notifications {
			if err := upsert(model.KindNotification, n.Name, n, nil); err != nil {
				return err
			}
		}
		for _, s := range cfg.SLOs {
			if err := upsert(model.KindSLOStored, s.Name, s, pgx.NamedArgs{"application": s.Application}); err != nil {
				return err
			}
		}
		return q.bumpConfigRevision(ctx)
	})
	if err != nil {
		return store.ApplyResult{}, fmt.Errorf("apply config: %w", err)
	}
	return res, nil
}

// upsertConfig writes one config object through the queries <kind>Insert
// (nothing when the name exists) and <kind>Update (nothing when the stored
// spec is the same document); extra binds kind-specific columns. Neither
// reads first, so two concurrent applies of one object never collide.
func (q *queries) upsertConfig(ctx context.Context, res *store.ApplyResult, kind, name, spec string, now time.Time, extra pgx.NamedArgs) error {
	id := kind + "/" + name
	if name == "" {
		return fmt.Errorf("%s with an empty name: every config object needs metadata.name", kind)
	}
	args := pgx.NamedArgs{"name": name, "spec": spec, "now": now}
	maps.Copy(args, extra)
	tag, err := q.db.Exec(ctx, query(kind+"Insert"), args)
	if err != nil {
		return fmt.Errorf("insert %s: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		res.Created = append(res.Created, id)
		return nil
	}
	tag, err = q.db.Exec(ctx, query(kind+"Update"), args)
	if err != nil {
		return fmt.Errorf("update %s: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		res.Updated = append(res.Updated, id)
	} else {
		res.Unchanged = append(res.Unchanged, id)
	}
	return nil
}

// ApplicationGet returns one application; store.ErrNotFound if none.
func (q *queries) ApplicationGet(ctx context.Context, name string) (*model.Application, error) {
	return getSpec[model.Application](ctx, q, model.KindApplication, name)
}

// ApplicationList returns applications by name, a page when params.Limit is set.
func (q *queries) ApplicationList(ctx context.Context, params store.ApplicationListParams) ([]model.Application, error) {
	return listSpecs[model.Application](ctx, q, model.KindApplication, pgx.NamedArgs{
		"applications": strs(params.Applications), "after": params.After, "limit": pageLimit(params.Limit)})
}

// EnvironmentGet returns one environment; store.ErrNotFound if none.
func (q *queries) EnvironmentGet(ctx context.Context, name string) (*model.Environment, error) {
	return getSpec[model.Environment](ctx, q, model.KindEnvironment, name)
}

// EnvironmentList returns every environment by name.
func (q *queries) EnvironmentList(ctx context.Context) ([]model.Environment, error) {
	return listSpecs[model.Environment](ctx, q, model.KindEnvironment, nil)
}

// PipelineGet returns one pipeline; store.ErrNotFound if none.
func (q *queries) PipelineGet(ctx context.Context, name string) (*model.Pipeline, error) {
	return getSpec[model.Pipeline](ctx, q, model.KindPipeline, name)
}

// PipelineList returns pipelines by name, optionally of one application, a page when params.Limit is set.
func (q *queries) PipelineList(ctx context.Context, params store.PipelineListParams) ([]model.Pipeline, error) {
	return listSpecs[model.Pipeline](ctx, q, model.KindPipeline, pgx.NamedArgs{"application": params.Application,
		"applications": strs(params.Applications), "after": params.After, "limit": pageLimit(params.Limit)})
}

// pageLimit is a list's LIMIT: NULL (none) for 0.
func pageLimit(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

// AnalysisTemplateGet returns one analysis template; store.ErrNotFound if none.
func (q *queries) AnalysisTemplateGet(ctx context.Context, name string) (*model.AnalysisTemplate, error) {
	return getSpec[model.AnalysisTemplate](ctx, q, model.KindAnalysisTemplate, name)
}

// AnalysisTemplateList returns every analysis template by name.
func (q *queries) AnalysisTemplateList(ctx context.Context) ([]model.AnalysisTemplate, error) {
	return listSpecs[model.AnalysisTemplate](ctx, q, model.KindAnalysisTemplate, nil)
}

// TeamList returns every team by name.
func (q *queries) TeamList(ctx context.Context) ([]model.Team, error) {
	return listSpecs[model.Team](ctx, q, model.KindTeam, nil)
}

// GrantList returns every grant by name.
func (q *queries) GrantList(ctx context.Context) ([]model.Grant, error) {
	return listSpecs[model.Grant](ctx, q, model.KindGrant, nil)
}

func getSpec[T any](ctx context.Context, q *queries, kind, name string) (*T, error) {
	v, err := scanSpec[T](kind)(q.db.QueryRow(ctx, query(kind+"Spec"), pgx.NamedArgs{"name": name}))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s %q: %w (apply a config that defines it)", kind, name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %q: %w", kind, name, err)
	}
	return v, nil
}

func listSpecs[T any](ctx context.Context, q *queries, kind string, args pgx.NamedArgs) ([]T, error) {
	specs, err := listRows(ctx, q, kind+"List", scanSpec[T](kind), args)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	return specs, nil
}

// scanSpec reads a row of one spec column, the jsonb of a T of kind.
func scanSpec[T any](kind string) func(pgx.Row) (*T, error) {
	return func(row pgx.Row) (*T, error) {
		var spec []byte
		if err := row.Scan(&spec); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal(spec, v); err != nil {
			return nil, fmt.Errorf("decode stored %s: %w", kind, err)
		}
		return v, nil
	}
}

// bumpConfigRevision moves ConfigRevision on, in the apply's or delete's
// transaction. It comes last in both: the revision's row lock, held to
// the commit, is never taken before another lock, so concurrent applies
// queue on it without deadlocking.
func (q *queries) bumpConfigRevision(ctx context.Context) error {
	if _, err := q.db.Exec(ctx, query("ConfigRevisionBump")); err != nil {
		return fmt.Errorf("moving the config revision on: %w", err)
	}
	return nil
}

// ConfigRevision implements store.Queries.
func (q *queries) ConfigRevision(ctx context.Context) (int64, error) {
	var n int64
	if err := q.db.QueryRow(ctx, query("ConfigRevisionGet")).Scan(&n); err != nil {
		return 0, fmt.Errorf("reading the config revision: %w", err)
	}
	return n, nil
}
