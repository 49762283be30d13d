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

// ConfigApply upserts every object of cfg in one transaction, comparing the
// stored JSON to report each as created, updated or unchanged.
func (q *queries) ConfigApply(ctx context.Context, cfg model.Config) (store.ApplyResult, error) {
	var res store.ApplyResult
	err := q.atomic(ctx, func(q *queries) error {
		res = store.ApplyResult{}
		now := formatTime(q.nowUTC())
		for _, app := range cfg.Applications {
			if err := q.upsertConfig(ctx, &res, model.KindApplication, app.Name, mustJSON(app), now); err != nil {
				return err
			}
		}
		for _, env := range cfg.Environments {
			if err := q.upsertConfig(ctx, &res, model.KindEnvironment, env.Name, mustJSON(env), now); err != nil {
				return err
			}
		}
		for _, p := range cfg.Pipelines {
			if err := q.upsertConfig(ctx, &res, model.KindPipeline, p.Name, mustJSON(p), now,
				sql.Named("application", p.Application)); err != nil {
				return err
			}
		}
		for _, t := range cfg.AnalysisTemplates {
			if err := q.upsertConfig(ctx, &res, model.KindAnalysisTemplate, t.Name, mustJSON(t), now); err != nil {
				return err
			}
		}
		for _, t := range cfg.Teams {
			if err := q.upsertConfig(ctx, &res, model.KindTeam, t.Name, mustJSON(t), now); err != nil {
				return err
			}
		}
		for _, g := range cfg.Grants {
			if err := q.upsertConfig(ctx, &res, model.KindGrant, g.Name, mustJSON(g), now); err != nil {
				return err
			}
		}
		for _, n := range cfg.Notifications {
			if err := q.upsertConfig(ctx, &res, model.KindNotification, n.Name, mustJSON(n), now); err != nil {
				return err
			}
		}
		for _, s := range cfg.SLOs {
			if err := q.upsertConfig(ctx, &res, model.KindSLOStored, s.Name, mustJSON(s), now,
				sql.Named("application", s.Application)); err != nil {
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

// upsertConfig inserts or updates one config object through the queries
// <kind>Spec, <kind>Insert and <kind>Update; extra binds kind-specific columns.
func (q *queries) upsertConfig(ctx context.Context, res *store.ApplyResult, kind, name, spec, now string, extra ...any) error {
	id := kind + "/" + name
	if name == "" {
		return fmt.Errorf("%s with an empty name: every config object needs metadata.name", kind)
	}
	args := append([]any{sql.Named("name", name), sql.Named("spec", spec), sql.Named("now", now)}, extra...)
	var stored string
	err := q.write.QueryRowContext(ctx, query(kind+"Spec"), sql.Named("name", name)).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := q.write.ExecContext(ctx, query(kind+"Insert"), args...); err != nil {
			return fmt.Errorf("insert %s: %w", id, err)
		}
		res.Created = append(res.Created, id)
	case err != nil:
		return fmt.Errorf("read %s: %w", id, err)
	case stored == spec:
		res.Unchanged = append(res.Unchanged, id)
	default:
		if _, err := q.write.ExecContext(ctx, query(kind+"Update"), args...); err != nil {
			return fmt.Errorf("update %s: %w", id, err)
		}
		res.Updated = append(res.Updated, id)
	}
	return nil
}

// ApplicationGet returns one application; store.ErrNotFound if none.
func (q *queries) ApplicationGet(ctx context.Context, name string) (*model.Application, error) {
	return getSpec[model.Application](ctx, q, model.KindApplication, name)
}

// ApplicationList returns applications by name, a page when params.Limit is set.
func (q *queries) ApplicationList(ctx context.Context, params store.ApplicationListParams) ([]model.Application, error) {
	return listSpecs[model.Application](ctx, q, model.KindApplication, sql.Named("applications", jsonArray(params.Applications)),
		sql.Named("after", params.After), sql.Named("limit", pageLimit(params.Limit)))
}

// EnvironmentGet returns one environment; store.ErrNotFound if none.
func (q *queries) EnvironmentGet(ctx context.Context, name string) (*model.Environment, error) {
	return getSpec[model.Environment](ctx, q, model.KindEnvironment, name)
}

// EnvironmentList returns every environment by name.
func (q *queries) EnvironmentList(ctx context.Context) ([]model.Environment, error) {
	return listSpecs[model.Environment](ctx, q, model.KindEnvironment)
}

// PipelineGet returns one pipeline; store.ErrNotFound if none.
func (q *queries) PipelineGet(ctx context.Context, name string) (*model.Pipeline, error) {
	return getSpec[model.Pipeline](ctx, q, model.KindPipeline, name)
}

// PipelineList returns pipelines by name, optionally of one application, a page when params.Limit is set.
func (q *queries) PipelineList(ctx context.Context, params store.PipelineListParams) ([]model.Pipeline, error) {
	return listSpecs[model.Pipeline](ctx, q, model.KindPipeline, sql.Named("application", params.Application),
		sql.Named("applications", jsonArray(params.Applications)), sql.Named("after", params.After), sql.Named("limit", pageLimit(params.Limit)))
}

// pageLimit is a list's LIMIT: -1 (none) for 0.
func pageLimit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// AnalysisTemplateGet returns one analysis template; store.ErrNotFound if none.
func (q *queries) AnalysisTemplateGet(ctx context.Context, name string) (*model.AnalysisTemplate, error) {
	return getSpec[model.AnalysisTemplate](ctx, q, model.KindAnalysisTemplate, name)
}

// AnalysisTemplateList returns every analysis template by name.
func (q *queries) AnalysisTemplateList(ctx context.Context) ([]model.AnalysisTemplate, error) {
	return listSpecs[model.AnalysisTemplate](ctx, q, model.KindAnalysisTemplate)
}

// TeamList returns every team by name.
func (q *queries) TeamList(ctx context.Context) ([]model.Team, error) {
	return listSpecs[model.Team](ctx, q, model.KindTeam)
}

// GrantList returns every grant by name.
func (q *queries) GrantList(ctx context.Context) ([]model.Grant, error) {
	return listSpecs[model.Grant](ctx, q, model.KindGrant)
}

func getSpec[T any](ctx context.Context, q *queries, kind, name string) (*T, error) {
	v, err := scanSpec[T](kind)(q.read.QueryRowContext(ctx, query(kind+"Spec"), sql.Named("name", name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s %q: %w (apply a config that defines it)", kind, name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %q: %w", kind, name, err)
	}
	return v, nil
}

func listSpecs[T any](ctx context.Context, q *queries, kind string, args ...any) ([]T, error) {
	specs, err := listRows(ctx, q, kind+"List", scanSpec[T](kind), args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	return specs, nil
}

// scanSpec reads a row of one spec column, the JSON of a T of kind.
func scanSpec[T any](kind string) func(rowScanner) (*T, error) {
	return func(row rowScanner) (*T, error) {
		var spec string
		if err := row.Scan(&spec); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal([]byte(spec), v); err != nil {
			return nil, fmt.Errorf("decode stored %s: %w", kind, err)
		}
		return v, nil
	}
}

// bumpConfigRevision moves ConfigRevision on, in the apply's or delete's
// transaction.
func (q *queries) bumpConfigRevision(ctx context.Context) error {
	if _, err := q.write.ExecContext(ctx, query("ConfigRevisionBump")); err != nil {
		return fmt.Errorf("moving the config revision on: %w", err)
	}
	return nil
}

// ConfigRevision implements store.Queries.
func (q *queries) ConfigRevision(ctx context.Context) (int64, error) {
	var n int64
	if err := q.read.QueryRowContext(ctx, query("ConfigRevisionGet")).Scan(&n); err != nil {
		return 0, fmt.Errorf("reading the config revision: %w", err)
	}
	return n, nil
}
