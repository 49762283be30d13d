package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/model"
)

// Whoami describes the caller.
type Whoami struct {
	Subject string             `json:"subject"`
	Kind    model.IdentityKind `json:"kind"`
	Name    string             `json:"name,omitempty"`
	Teams   []string           `json:"teams"`
	Grants  []struct {
		Role   model.Role  `json:"role"`
		Scope  model.Scope `json:"scope"`
		Source string      `json:"source"`
	} `json:"grants"`
}

// Whoami asks the server who the client's credential is.
func (c *Client) Whoami(ctx context.Context) (*Whoami, error) {
	var out Whoami
	return &out, c.do(ctx, http.MethodGet, "/api/v1/whoami", nil, &out)
}

// CreateToken creates an API token; the answer holds its secret, once.
func (c *Client) CreateToken(ctx context.Context, req api.TokenRequest) (*api.TokenCreated, error) {
	var out api.TokenCreated
	return &out, c.do(ctx, http.MethodPost, "/api/v1/tokens", req, &out)
}

// Tokens lists tokens (never their secrets); all includes revoked ones.
func (c *Client) Tokens(ctx context.Context, all bool) ([]model.Token, error) {
	var out []model.Token
	path := "/api/v1/tokens"
	if all {
		path += "?all=true"
	}
	return out, c.do(ctx, http.MethodGet, path, nil, &out)
}

// RevokeToken revokes the active token named name.
func (c *Client) RevokeToken(ctx context.Context, name string) (*model.Token, error) {
	var out model.Token
	return &out, c.do(ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(name), nil, &out)
}

// LoginLink asks for a one-time URL that logs a browser in as the client's token.
func (c *Client) LoginLink(ctx context.Context) (*api.LoginLink, error) {
	var out api.LoginLink
	return &out, c.do(ctx, http.MethodPost, "/api/v1/auth/login-links", struct{}{}, &out)
}

// Audit lists audit entries matching q (since, actor, application, after, limit).
func (c *Client) Audit(ctx context.Context, q url.Values) ([]model.AuditEntry, error) {
	var out []model.AuditEntry
	return out, c.do(ctx, http.MethodGet, "/api/v1/audit?"+q.Encode(), nil, &out)
}

// VerifyAudit asks the server to check the audit log's hash chain.
func (c *Client) VerifyAudit(ctx context.Context) (*api.AuditVerification, error) {
	var out api.AuditVerification
	return &out, c.do(ctx, http.MethodGet, "/api/v1/audit/verify", nil, &out)
}
