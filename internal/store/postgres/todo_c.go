package postgres

// TODO(group c): the helper implementing these deletes this file.

import (
	"context"
	"errors"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

var _ = time.Time{}
var _ model.Config
var _ store.Change

func (q *queries) ServerGroupInsert(ctx context.Context, sg *model.ServerGroup) error {
	return errors.New("not implemented")
}
func (q *queries) ServerGroupGet(ctx context.Context, environment, name string) (*model.ServerGroup, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) ServerGroupList(ctx context.Context, params store.ServerGroupListParams) ([]model.ServerGroup, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) ServerGroupUpdate(ctx context.Context, params store.ServerGroupUpdateParams) error {
	return errors.New("not implemented")
}
func (q *queries) ServerGroupNextSequence(ctx context.Context, application, environment string) (int, error) {
	return 0, errors.New("not implemented")
}
