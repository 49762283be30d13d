package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/model"
)

// Incidents returns one page of incidents (newest first) matching q
// (application, environment, open, limit, cursor) and the path of the
// next page ("" when this one was the last).
func (c *Client) Incidents(ctx context.Context, q url.Values) ([]model.Incident, string, error) {
	var out []model.Incident
	next, err := c.doLink(ctx, http.MethodGet, "/api/v1/incidents?"+q.Encode(), nil, &out)
	return out, next, err
}

// Incident reads one incident.
func (c *Client) Incident(ctx context.Context, id string) (*model.Incident, error) {
	var out model.Incident
	return &out, c.do(ctx, http.MethodGet, "/api/v1/incidents/"+url.PathEscape(id), nil, &out)
}

// OpenIncident opens an incident.
func (c *Client) OpenIncident(ctx context.Context, req api.IncidentRequest) (*model.Incident, error) {
	var out model.Incident
	return &out, c.do(ctx, http.MethodPost, "/api/v1/incidents", req, &out)
}

// ResolveIncident resolves an open incident (a resolved one is returned
// as it is).
func (c *Client) ResolveIncident(ctx context.Context, id string, req api.ResolveIncidentRequest) (*model.Incident, error) {
	var out model.Incident
	return &out, c.do(ctx, http.MethodPost, "/api/v1/incidents/"+url.PathEscape(id)+"/resolve", req, &out)
}
