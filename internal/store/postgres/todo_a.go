package postgres

// TODO(group a): the helper implementing these deletes this file.

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

func (q *queries) ConfigApply(ctx context.Context, cfg model.Config) (store.ApplyResult, error) {
	return store.ApplyResult{}, errors.New("not implemented")
}
func (q *queries) ApplicationGet(ctx context.Context, name string) (*model.Application, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) ApplicationList(ctx context.Context) ([]model.Application, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) EnvironmentGet(ctx context.Context, name string) (*model.Environment, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) EnvironmentList(ctx context.Context) ([]model.Environment, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) PipelineGet(ctx context.Context, name string) (*model.Pipeline, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) PipelineList(ctx context.Context, params store.PipelineListParams) ([]model.Pipeline, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) AnalysisTemplateGet(ctx context.Context, name string) (*model.AnalysisTemplate, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) AnalysisTemplateList(ctx context.Context) ([]model.AnalysisTemplate, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) TeamList(ctx context.Context) ([]model.Team, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) GrantList(ctx context.Context) ([]model.Grant, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) LeaseAcquire(ctx context.Context, key string, holder store.LeaseHolder) (store.LeaseHolder, bool, error) {
	return store.LeaseHolder{}, false, errors.New("not implemented")
}
func (q *queries) LeaseGet(ctx context.Context, key string) (store.LeaseHolder, bool, error) {
	return store.LeaseHolder{}, false, errors.New("not implemented")
}
