package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gennaker/gennaker/internal/notify"
)

// Notifications lists every notification with how its deliveries fare.
func (c *Client) Notifications(ctx context.Context) ([]notify.Status, error) {
	var out []notify.Status
	return out, c.do(ctx, http.MethodGet, "/api/v1/notifications", nil, &out)
}

// TestNotification sends a test message through the named notification's target.
func (c *Client) TestNotification(ctx context.Context, name string) error {
	var out map[string]string
	return c.do(ctx, http.MethodPost, "/api/v1/notifications/"+url.PathEscape(name)+"/test", struct{}{}, &out)
}
