// Package client is a small Go client of gennaker's REST API; the CLI uses
// nothing else to talk to a server.
package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/deletion"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Client talks to one gennaker server.
type Client struct {
	Base string
	// Token is the API token sent as `Authorization: Bearer TOKEN`.
	Token string
	HTTP  *http.Client
	// Err, when set, is returned by every call: the client could not be
	// configured (an unreadable credentials file, a bad CA file).
	Err error
}

// New returns a client of the server at base (e.g. http://127.0.0.1:7070)
// that authenticates with token.
func New(base, token string) *Client {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &Client{Base: strings.TrimRight(base, "/"), Token: token, HTTP: &http.Client{}}
}

// WithCA makes the client trust the certificate authority in the PEM file
// caFile (a server with a private or self-signed certificate).
func (c *Client) WithCA(caFile string) error {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("reading the server's CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	c.HTTP.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return nil
}

func (c *Client) authorize(req *http.Request) {
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
}

// APIError is an error answer of the server.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Message }

// ErrUnreachable wraps a failure to reach the server at all.
var ErrUnreachable = errors.New("cannot reach the gennaker server")

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	_, err := c.doLink(ctx, method, path, body, out)
	return err
}

// listAll reads every page of a paged list, following the answers' Link
// headers from path.
func listAll[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	out := []T{}
	for path != "" {
		var page []T
		next, err := c.doLink(ctx, http.MethodGet, path, nil, &page)
		if err != nil {
			return nil, err
		}
		out, path = append(out, page...), next
	}
	return out, nil
}

// doLink is do that also returns the path of the answer's Link rel="next"
// ("" when there is none).
func (c *Client) doLink(ctx context.Context, method, path string, body, out any) (string, error) {
	if c.Err != nil {
		return "", c.Err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return "", err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.authorize(req)
	if _, text := out.(*string); !text {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w at %s (%v): start one with `gennaker server`, or point --server / GENNAKER_SERVER (or the CLI's context) at it", ErrUnreachable, c.Base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = fmt.Sprintf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
		}
		return "", &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Error}
	}
	next := nextLink(resp.Header.Get("Link"))
	if out == nil {
		return next, nil
	}
	if s, ok := out.(*string); ok {
		b, err := io.ReadAll(resp.Body)
		*s = string(b)
		return "", err
	}
	return next, json.NewDecoder(resp.Body).Decode(out)
}

// nextLink is the path of a Link header's rel="next" (the server sends one
// link, to a path on itself), or "".
func nextLink(link string) string {
	path, ok := strings.CutPrefix(link, "<")
	if !ok {
		return ""
	}
	path, _, ok = strings.Cut(path, `>; rel="next"`)
	if !ok {
		return ""
	}
	return path

}

// Config returns every stored config object.
func (c *Client) Config(ctx context.Context) (model.Config, error) {
	var cfg model.Config
	return cfg, c.do(ctx, http.MethodGet, "/api/v1/config", nil, &cfg)
}

// Apply stores a config set.
func (c *Client) Apply(ctx context.Context, cfg model.Config) (store.ApplyResult, error) {
	var res store.ApplyResult
	return res, c.do(ctx, http.MethodPost, "/api/v1/config", cfg, &res)
}

// CheckTargets asks the server to check that the targets of cfg's
// environments have what their settings need (the Gateway API for gateway
// traffic); it needs the admin role over everything.
func (c *Client) CheckTargets(ctx context.Context, cfg model.Config) (api.TargetChecks, error) {
	var out api.TargetChecks
	return out, c.do(ctx, http.MethodPost, "/api/v1/config/check-targets", cfg, &out)
}

// Pipelines lists pipelines.
func (c *Client) Pipelines(ctx context.Context) ([]model.Pipeline, error) {
	return listAll[model.Pipeline](ctx, c, "/api/v1/pipelines?limit=1000")
}

// AnalysisTemplates lists analysis templates.
func (c *Client) AnalysisTemplates(ctx context.Context) ([]model.AnalysisTemplate, error) {
	var out []model.AnalysisTemplate
	return out, c.do(ctx, http.MethodGet, "/api/v1/analysis-templates", nil, &out)
}

// Applications lists applications.
func (c *Client) Applications(ctx context.Context) ([]model.Application, error) {
	return listAll[model.Application](ctx, c, "/api/v1/applications?limit=1000")
}

// Environments lists environments.
func (c *Client) Environments(ctx context.Context) ([]model.Environment, error) {
	var out []model.Environment
	return out, c.do(ctx, http.MethodGet, "/api/v1/environments", nil, &out)
}

// RunRequest is the body of a pipeline run.
type RunRequest struct {
	Params     map[string]string `json:"params,omitempty"`
	CommitSHA  string            `json:"commitSha,omitempty"`
	CommitTime string            `json:"commitTime,omitempty"`
}

// Run starts an execution of a pipeline.
func (c *Client) Run(ctx context.Context, pipeline string, req RunRequest) (*model.Execution, error) {
	var out model.Execution
	return &out, c.do(ctx, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(pipeline)+"/executions", req, &out)
}

// Executions lists executions matching the query (application, pipeline, status, limit).
func (c *Client) Executions(ctx context.Context, q url.Values) ([]model.Execution, error) {
	var out []model.Execution
	return out, c.do(ctx, http.MethodGet, "/api/v1/executions?"+q.Encode(), nil, &out)
}

// Execution returns one execution.
func (c *Client) Execution(ctx context.Context, id string) (*model.Execution, error) {
	var out model.Execution
	return &out, c.do(ctx, http.MethodGet, "/api/v1/executions/"+url.PathEscape(id), nil, &out)
}

// Judge approves or rejects the waiting stage of an execution.
func (c *Client) Judge(ctx context.Context, id, decision, stage, comment string) (*model.Execution, error) {
	var out model.Execution
	body := map[string]string{}
	if stage != "" {
		body["stage"] = stage
	}
	if comment != "" {
		body["comment"] = comment
	}
	return &out, c.do(ctx, http.MethodPost, "/api/v1/executions/"+url.PathEscape(id)+"/"+decision, body, &out)
}

// ControlRequest is the body of promote, abort and retry.
type ControlRequest struct {
	Stage   string `json:"stage,omitempty"`
	Comment string `json:"comment,omitempty"`
	// Version is the execution's version the request acts on: the server
	// does nothing again for a request it has done.
	Version int `json:"version,omitempty"`
}

// Control sends action (promote, abort or retry) for an execution.
func (c *Client) Control(ctx context.Context, id, action string, req ControlRequest) (*model.Execution, error) {
	var out model.Execution
	return &out, c.do(ctx, http.MethodPost, "/api/v1/executions/"+url.PathEscape(id)+"/"+url.PathEscape(action), req, &out)
}

// Cancel stops a running execution.
func (c *Client) Cancel(ctx context.Context, id, reason string) (*model.Execution, error) {
	var out model.Execution
	return &out, c.do(ctx, http.MethodPost, "/api/v1/executions/"+url.PathEscape(id)+"/cancel", map[string]string{"reason": reason}, &out)
}

// Events lists delivery events matching the query (application, environment, kind, after, limit).
func (c *Client) Events(ctx context.Context, q url.Values) ([]model.Event, error) {
	var out []model.Event
	return out, c.do(ctx, http.MethodGet, "/api/v1/events?"+q.Encode(), nil, &out)
}

// Deploy starts a deploy of a version.
func (c *Client) Deploy(ctx context.Context, req deploy.Request) (*model.Execution, error) {
	var out model.Execution
	return &out, c.do(ctx, http.MethodPost, "/api/v1/applications/"+url.PathEscape(req.Application)+"/deploy", req, &out)
}

// Rollback sends an environment back to its previous good version.
func (c *Client) Rollback(ctx context.Context, req deploy.RollbackRequest) (*model.Execution, error) {
	var out model.Execution
	return &out, c.do(ctx, http.MethodPost, "/api/v1/applications/"+url.PathEscape(req.Application)+"/rollback", req, &out)
}

// Adopt records an existing Kubernetes Deployment as the application's first server group.
func (c *Client) Adopt(ctx context.Context, req deploy.AdoptRequest) (*model.ServerGroup, error) {
	var out model.ServerGroup
	return &out, c.do(ctx, http.MethodPost, "/api/v1/applications/"+url.PathEscape(req.Application)+"/adopt", req, &out)
}

// Status reports what runs of an application.
func (c *Client) Status(ctx context.Context, app string) (*deploy.AppStatus, error) {
	var out deploy.AppStatus
	return &out, c.do(ctx, http.MethodGet, "/api/v1/applications/"+url.PathEscape(app)+"/status", nil, &out)
}

// Logs returns the last lines of an application's instances in an environment.
func (c *Client) Logs(ctx context.Context, app, env string, tail int) (string, error) {
	var out string
	q := url.Values{"environment": {env}, "tail": {fmt.Sprint(tail)}}
	return out, c.do(ctx, http.MethodGet, "/api/v1/applications/"+url.PathEscape(app)+"/logs?"+q.Encode(), nil, &out)
}

// GroupLogs returns the recent output of each server group's instances, as JSON.
func (c *Client) GroupLogs(ctx context.Context, app, env string, tail int) ([]deploy.GroupLogs, error) {
	var out []deploy.GroupLogs
	q := url.Values{"environment": {env}, "tail": {fmt.Sprint(tail)}}
	return out, c.do(ctx, http.MethodGet, "/api/v1/applications/"+url.PathEscape(app)+"/logs?"+q.Encode(), nil, &out)
}

// Analysis returns the stored canary analysis records of an execution.
func (c *Client) Analysis(ctx context.Context, id string) ([]store.AnalysisRecord, error) {
	var out []store.AnalysisRecord
	return out, c.do(ctx, http.MethodGet, "/api/v1/executions/"+url.PathEscape(id)+"/analysis", nil, &out)
}

// Watch calls fn with the execution now and after every change until it has
// ended (and no stage still cleans up), then returns the last snapshot. It
// reconnects when the stream breaks.
func (c *Client) Watch(ctx context.Context, id string, fn func(*model.Execution)) (*model.Execution, error) {
	if c.Err != nil {
		return nil, c.Err
	}
	var last *model.Execution
	for attempt := 0; ; attempt++ {
		done, err := c.watchOnce(ctx, id, func(e *model.Execution) { last = e; fn(e) })
		if done {
			return last, nil
		}
		if ctx.Err() != nil {
			return last, ctx.Err()
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) || attempt > 30 {
			return last, err
		}
		time.Sleep(time.Second)
	}
}

func (c *Client) watchOnce(ctx context.Context, id string, fn func(*model.Execution)) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/api/v1/executions/"+url.PathEscape(id)+"/stream", nil)
	if err != nil {
		return false, err
	}
	c.authorize(req)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return false, fmt.Errorf("%w at %s: %v", ErrUnreachable, c.Base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		var e struct{ Error, Code string }
		_ = json.Unmarshal(b, &e)
		return false, &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Error}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var last *model.Execution
	for sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var e model.Execution
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return false, err
		}
		last = &e
		fn(&e)
	}
	if last != nil && last.Status.Terminal() {
		return true, nil
	}
	return false, sc.Err()
}

// Replay judges an execution's stored analysis again with another config.
func (c *Client) Replay(ctx context.Context, id string, cfg model.AnalysisSpec, out any) error {
	return c.do(ctx, http.MethodPost, "/api/v1/executions/"+url.PathEscape(id)+"/analysis/replay", cfg, out)
}

// Delete deletes an application, environment, pipeline or notification
// (kind is model.KindApplication, KindEnvironment, KindPipeline or
// KindNotification) with what it
// runs; dryRun only answers with what would be removed, force cancels
// running executions first.
func (c *Client) Delete(ctx context.Context, kind, name string, dryRun, force bool) (*deletion.Result, error) {
	paths := map[string]string{model.KindApplication: "applications", model.KindEnvironment: "environments", model.KindPipeline: "pipelines",
		model.KindNotification: "notifications", model.KindSLOStored: "slos"}
	q := url.Values{}
	if dryRun {
		q.Set("dryRun", "true")
	}
	if force {
		q.Set("force", "true")
	}
	path := "/api/v1/" + paths[kind] + "/" + url.PathEscape(name)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out deletion.Result
	return &out, c.do(ctx, http.MethodDelete, path, nil, &out)
}
