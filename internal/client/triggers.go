package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gennaker/gennaker/internal/trigger"
)

// Triggers lists the triggers of the applied config the caller may read.
func (c *Client) Triggers(ctx context.Context) ([]trigger.Status, error) {
	var out []trigger.Status
	return out, c.do(ctx, http.MethodGet, "/api/v1/triggers", nil, &out)
}

// SetTriggerPaused pauses (paused) or resumes the trigger
// APPLICATION/PIPELINE/TRIGGER.
func (c *Client) SetTriggerPaused(ctx context.Context, key string, paused bool) (*trigger.Status, error) {
	path, err := triggerPath(key)
	if err != nil {
		return nil, err
	}
	verb := "/resume"
	if paused {
		verb = "/pause"
	}
	var out trigger.Status
	return &out, c.do(ctx, http.MethodPost, path+verb, struct{}{}, &out)
}

// TestTrigger dry-runs a trigger with payload (a webhook delivery's body,
// or a JSON object of the source's variables); nothing starts.
func (c *Client) TestTrigger(ctx context.Context, key string, payload json.RawMessage) (*trigger.DryRun, error) {
	path, err := triggerPath(key)
	if err != nil {
		return nil, err
	}
	var out trigger.DryRun
	return &out, c.do(ctx, http.MethodPost, path+"/test", payload, &out)
}

func triggerPath(key string) (string, error) {
	app, pipeline, name, err := trigger.ParseKey(key)
	if err != nil {
		return "", fmt.Errorf("trigger %q: give it as APPLICATION/PIPELINE/TRIGGER, as `gennaker triggers list` shows it", key)
	}
	return "/api/v1/triggers/" + url.PathEscape(app) + "/" + url.PathEscape(pipeline) + "/" + url.PathEscape(name), nil
}
