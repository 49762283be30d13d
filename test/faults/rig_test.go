package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/config"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/testserver"
)

// rig is one test's world: a webhook target and a server with the
// pipelines of testdata/pipelines.yaml applied, on SQLite or PostgreSQL.
type rig struct {
	t      *testing.T
	srv    *testserver.Server
	admin  *client.Client
	target *target
}

func newRig(t *testing.T, kind testserver.StoreKind) *rig {
	t.Helper()
	tg := startTarget(t) // before the server: cleanups stop the server first
	srv := testserver.Start(t, binary, testserver.Options{Store: kind})
	r := &rig{t: t, srv: srv, admin: srv.Admin(), target: tg}
	r.apply()
	return r
}

// apply stores testdata/pipelines.yaml, its TARGET replaced by the target's
// URL, loaded by the same parser as `gennaker apply`.
func (r *rig) apply() {
	r.t.Helper()
	raw, err := os.ReadFile("testdata/pipelines.yaml")
	if err != nil {
		r.t.Fatal(err)
	}
	path := filepath.Join(r.t.TempDir(), "pipelines.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(raw), "TARGET", r.target.URL)), 0o644); err != nil {
		r.t.Fatal(err)
	}
	cfg, err := config.LoadFiles([]string{path}, config.LoadOptions{})
	if err != nil {
		r.t.Fatalf("loading testdata/pipelines.yaml: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := r.admin.Apply(ctx, cfg); err != nil {
		r.t.Fatalf("applying testdata/pipelines.yaml: %v", err)
	}
}

// dbPath is the server's SQLite database file.
func (r *rig) dbPath() string {
	r.t.Helper()
	path := filepath.Join(r.srv.Data, "gennaker.db")
	if _, err := os.Stat(path); err != nil {
		r.t.Fatalf("the server's database is not where the test looks for it: %v", err)
	}
	return path
}

// executions lists every execution matching query, following the API's
// `Link: <PATH>; rel="next"` pages of 500.
func (r *rig) executions(ctx context.Context, query url.Values) ([]model.Execution, error) {
	q := url.Values{"limit": {"500"}}
	for k, v := range query {
		q[k] = v
	}
	path := "/api/v1/executions?" + q.Encode()
	hc := &http.Client{Timeout: 30 * time.Second}
	var all []model.Execution
	for path != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.URL+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+r.srv.Token)
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
		}
		var page []model.Execution
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		all = append(all, page...)
		path = testserver.NextPage(resp.Header.Get("Link"))
	}
	return all, nil
}

// settle waits until no execution is running, or limit has passed, and
// returns every execution and how long it waited.
func (r *rig) settle(ctx context.Context, limit time.Duration) ([]model.Execution, time.Duration) {
	r.t.Helper()
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		running, err := r.executions(ctx, url.Values{"status": {string(model.ExecutionRunning)}})
		if err == nil && len(running) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			break wait
		case <-tick.C:
		}
	}
	// Listed with a context of its own: the wait may have used all of ctx.
	lctx, lcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer lcancel()
	all, err := r.executions(lctx, nil)
	if err != nil {
		r.t.Fatalf("listing the executions after waiting %s for them to end: %v", time.Since(began).Round(time.Millisecond), err)
	}
	return all, time.Since(began)
}

// describe shows an execution and its stages on one line each.
func describe(e model.Execution) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) %s, created %s", e.ID, e.Pipeline, e.Status, e.CreatedAt.Format("15:04:05.000"))
	if e.Reason != "" {
		fmt.Fprintf(&b, ": %s", e.Reason)
	}
	for _, s := range e.Stages {
		fmt.Fprintf(&b, "\n    stage %s (%s): %s, attempt %d, version %d", s.Name, s.Type, s.Status, s.Attempt, s.Version)
		if s.Reason != "" {
			fmt.Fprintf(&b, ": %s", s.Reason)
		}
		if len(s.State) > 0 {
			fmt.Fprintf(&b, ", state %s", s.State)
		}
	}
	return b.String()
}

// serverLog returns the server's log lines containing all the words.
func (r *rig) serverLog(words ...string) []string {
	var out []string
	for _, line := range strings.Split(r.srv.Log(), "\n") {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}
