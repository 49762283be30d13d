package postgres

// TODO(group b): the helper implementing these deletes this file.

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

func (q *queries) ExecutionInsert(ctx context.Context, exec *model.Execution) error {
	return errors.New("not implemented")
}
func (q *queries) ExecutionGet(ctx context.Context, id string) (*model.Execution, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) ExecutionList(ctx context.Context, params store.ExecutionListParams) ([]model.Execution, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) ExecutionSetStatus(ctx context.Context, params store.ExecutionSetStatusParams) error {
	return errors.New("not implemented")
}
func (q *queries) StageGet(ctx context.Context, executionID, name string) (*model.Stage, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) StageUpdate(ctx context.Context, params store.StageUpdateParams) error {
	return errors.New("not implemented")
}
func (q *queries) StageClaim(ctx context.Context, params store.StageClaimParams) (bool, error) {
	return false, errors.New("not implemented")
}
func (q *queries) StageDue(ctx context.Context, params store.StageDueParams) ([]store.StageRef, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) AnalysisInsert(ctx context.Context, rec *store.AnalysisRecord) error {
	return errors.New("not implemented")
}
func (q *queries) AnalysisList(ctx context.Context, executionID string) ([]store.AnalysisRecord, error) {
	return nil, errors.New("not implemented")
}
func (t *tx) ExecutionLock(ctx context.Context, id string) (int, error) {
	return 0, errors.New("not implemented")
}
