package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/report"
)

// SLOs lists the SLOs the caller may read with their latest statuses
// (only the application's, when app is set).
func (c *Client) SLOs(ctx context.Context, app string) (*api.SLOList, error) {
	path := "/api/v1/slos"
	if app != "" {
		path += "?" + url.Values{"application": {app}}.Encode()
	}
	var out api.SLOList
	return &out, c.do(ctx, http.MethodGet, path, nil, &out)
}

// SLO reads one SLO over its window: status, points and deploys with the
// budget each burned.
func (c *Client) SLO(ctx context.Context, name string) (*report.Detail, error) {
	var out report.Detail
	return &out, c.do(ctx, http.MethodGet, "/api/v1/slos/"+url.PathEscape(name), nil, &out)
}

// SLA reads the month's SLA report of every SLO the caller may read
// (month YYYY-MM; "" for this month).
func (c *Client) SLA(ctx context.Context, month string) (*api.SLAList, error) {
	path := "/api/v1/sla"
	if month != "" {
		path += "?" + url.Values{"month": {month}}.Encode()
	}
	var out api.SLAList
	return &out, c.do(ctx, http.MethodGet, path, nil, &out)
}

// SLOSLA reads one SLO's SLA month.
func (c *Client) SLOSLA(ctx context.Context, name, month string) (*slo.SLAReport, error) {
	path := "/api/v1/slos/" + url.PathEscape(name) + "/sla"
	if month != "" {
		path += "?" + url.Values{"month": {month}}.Encode()
	}
	var out slo.SLAReport
	return &out, c.do(ctx, http.MethodGet, path, nil, &out)
}
