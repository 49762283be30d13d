package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gennaker/gennaker/internal/kpi"
)

// KPI reads the delivery KPIs that q selects (the parameters of
// kpi.ParseQuery: team, application, environment, since or from and to, by).
func (c *Client) KPI(ctx context.Context, q url.Values) (*kpi.Report, error) {
	var out kpi.Report
	if err := c.do(ctx, http.MethodGet, "/api/v1/kpi?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
