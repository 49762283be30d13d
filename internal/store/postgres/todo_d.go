package postgres

// TODO(group d): the helper implementing these deletes this file.

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

func (q *queries) TokenInsert(ctx context.Context, t *model.Token) error {
	return errors.New("not implemented")
}
func (q *queries) TokenGet(ctx context.Context, id string) (*model.Token, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) TokenList(ctx context.Context, params store.TokenListParams) ([]model.Token, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) TokenRevoke(ctx context.Context, params store.TokenRevokeParams) (*model.Token, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) SessionInsert(ctx context.Context, s *model.Session) error {
	return errors.New("not implemented")
}
func (q *queries) SessionGet(ctx context.Context, id string) (*model.Session, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) SessionDelete(ctx context.Context, id string) error {
	return errors.New("not implemented")
}
func (q *queries) SessionDeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return 0, errors.New("not implemented")
}
func (q *queries) LoginLinkInsert(ctx context.Context, l *model.LoginLink) error {
	return errors.New("not implemented")
}
func (q *queries) LoginLinkConsume(ctx context.Context, id string, now time.Time) (*model.LoginLink, error) {
	return nil, errors.New("not implemented")
}
func (q *queries) AuditAppend(ctx context.Context, e *model.AuditEntry) error {
	return errors.New("not implemented")
}
func (q *queries) AuditList(ctx context.Context, params store.AuditListParams) ([]model.AuditEntry, error) {
	return nil, errors.New("not implemented")
}
