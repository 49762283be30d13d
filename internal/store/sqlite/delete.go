package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// ConfigDelete removes an application, environment or pipeline and its
// records in one transaction (store.DeleteStatements, queries/delete.sql).
func (q *queries) ConfigDelete(ctx context.Context, params store.ConfigDeleteParams) (store.DeleteResult, error) {
	if err := store.CheckDeleteKind(params.Kind); err != nil {
		return store.DeleteResult{}, err
	}
	object := params.Kind + "/" + params.Name
	var res store.DeleteResult
	err := q.atomic(ctx, func(q *queries) error {
		res = store.DeleteResult{}
		name := sql.Named("name", params.Name)
		var spec string
		if err := q.write.QueryRowContext(ctx, query(params.Kind+"Spec"), name).Scan(&spec); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%s %q: %w", params.Kind, params.Name, store.ErrNotFound)
			}
			return fmt.Errorf("delete %s: %w", object, err)
		}
		running, err := q.strings(ctx, params.Kind+"Running", name)
		if err != nil {
			return fmt.Errorf("delete %s: %w", object, err)
		}
		if len(running) > 0 {
			return &store.RunningError{Object: object, Executions: running}
		}
		for _, st := range store.DeleteStatements(params.Kind) {
			switch st.Count {
			case store.CountPipelines:
				names, err := q.strings(ctx, st.Query, name)
				if err != nil {
					return fmt.Errorf("delete %s: %s: %w", object, st.Query, err)
				}
				for _, n := range names {
					res.Objects = append(res.Objects, model.KindPipeline+"/"+n)
				}
			default:
				r, err := q.write.ExecContext(ctx, query(st.Query), name)
				if err != nil {
					return fmt.Errorf("delete %s: %s: %w", object, st.Query, err)
				}
				n, _ := r.RowsAffected()
				res.Add(st.Count, n)
			}
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
func (q *queries) strings(ctx context.Context, name string, args ...any) ([]string, error) {
	rows, err := q.write.QueryContext(ctx, query(name), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
