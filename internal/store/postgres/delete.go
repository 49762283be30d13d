package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// ConfigDelete removes an application, environment or pipeline and its
// records in one transaction (store.DeleteStatements, queries/delete.sql).
// The object's row is locked first (SELECT ... FOR UPDATE), so a
// concurrent apply of it waits, and the running executions that refuse
// the deletion are locked while it decides.
func (q *queries) ConfigDelete(ctx context.Context, params store.ConfigDeleteParams) (store.DeleteResult, error) {
	if err := store.CheckDeleteKind(params.Kind); err != nil {
		return store.DeleteResult{}, err
	}
	object := params.Kind + "/" + params.Name
	var res store.DeleteResult
	err := q.atomic(ctx, func(q *queries) error {
		res = store.DeleteResult{}
		args := pgx.NamedArgs{"name": params.Name}
		var n int
		if err := q.db.QueryRow(ctx, query(params.Kind+"Lock"), args).Scan(&n); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("%s %q: %w", params.Kind, params.Name, store.ErrNotFound)
			}
			return fmt.Errorf("delete %s: %w", object, err)
		}
		running, err := q.strings(ctx, params.Kind+"Running", args)
		if err != nil {
			return fmt.Errorf("delete %s: %w", object, err)
		}
		if len(running) > 0 {
			return &store.RunningError{Object: object, Executions: running}
		}
		for _, st := range store.DeleteStatements(params.Kind) {
			if st.Count == store.CountPipelines {
				names, err := q.strings(ctx, st.Query, args)
				if err != nil {
					return fmt.Errorf("delete %s: %s: %w", object, st.Query, err)
				}
				for _, n := range names {
					res.Objects = append(res.Objects, model.KindPipeline+"/"+n)
				}
				continue
			}
			tag, err := q.db.Exec(ctx, query(st.Query), args)
			if err != nil {
				return fmt.Errorf("delete %s: %s: %w", object, st.Query, err)
			}
			res.Add(st.Count, tag.RowsAffected())
		}
		res.Objects = append([]string{object}, res.Objects...)
		if params.Audit != nil {
			if err := q.AuditAppend(ctx, params.Audit); err != nil {
				return fmt.Errorf("delete %s: audit: %w", object, err)
			}
		}
		return q.bumpConfigRevision(ctx)
	})
	if err != nil {
		return store.DeleteResult{}, err
	}
	return res, nil
}

// strings runs a query whose rows are one text column.
func (q *queries) strings(ctx context.Context, name string, args pgx.NamedArgs) ([]string, error) {
	rows, err := q.db.Query(ctx, query(name), args)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
