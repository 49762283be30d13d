package crash

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/testserver"
)

// api is a small client of the server's HTTP API; every call is bounded so
// a call that races a kill fails fast instead of hanging.
type api struct {
	base  string
	token string
	hc    *http.Client
}

func newAPI(base, token string) *api {
	return &api{base: base, token: token, hc: &http.Client{Timeout: 3 * time.Second}}
}

// do sends a request and decodes a 2xx JSON answer into out; it returns the
// status code (0 when the server did not answer).
func (a *api) do(ctx context.Context, method, path string, body, out any) (int, error) {
	code, _, err := a.send(ctx, method, path, body, out)
	return code, err
}

// send is do that also returns the answer's headers.
func (a *api) send(ctx context.Context, method, path string, body, out any) (int, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, resp.Header, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, resp.Header, fmt.Errorf("%s %s: %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, resp.Header, fmt.Errorf("%s %s: decoding answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, resp.Header, nil
}

// list GETs path and every further page its answers' `Link: <PATH>;
// rel="next"` headers name, and returns all the pages' items.
func list[T any](ctx context.Context, a *api, path string) ([]T, error) {
	var all []T
	for path != "" {
		var page []T
		_, h, err := a.send(ctx, http.MethodGet, path, nil, &page)
		if err != nil {
			return all, err
		}
		all = append(all, page...)
		path = testserver.NextPage(h.Get("Link"))
	}
	return all, nil
}

// executions lists every execution matching query, a page of 500 at a
// time (the API's largest).
func (a *api) executions(ctx context.Context, query string) ([]model.Execution, error) {
	return list[model.Execution](ctx, a, "/api/v1/executions?limit=500"+query)
}

// events lists every event of a kind, a page of 1000 at a time (the API's
// largest).
func (a *api) events(ctx context.Context, kind string) ([]model.Event, error) {
	return list[model.Event](ctx, a, "/api/v1/events?limit=1000&kind="+kind)
}

// run starts an execution; the server may be down, so it retries until it
// gets an answer. A start whose answer a kill swallowed may have happened
// anyway: the test therefore takes the list of executions from the server.
func (a *api) run(ctx context.Context, pipeline string) (string, error) {
	for {
		var exec model.Execution
		code, err := a.do(ctx, http.MethodPost, "/api/v1/pipelines/"+pipeline+"/executions", map[string]any{}, &exec)
		if err == nil {
			return exec.ID, nil
		}
		if code != 0 {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("running %s: %w (last error: %v)", pipeline, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
