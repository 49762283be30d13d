// Package load puts two gennaker replicas sharing one PostgreSQL database
// under many concurrent API clients, each with a token of its own made
// through the API with the role the docs tell users to give it (deployer to
// start executions, approver to answer judgments, viewer to read), and
// checks that every response had the expected status and that every
// execution started reaches a terminal state once the load stops.
//
//	go test ./test/load -run TestTwoReplicas -count 1 -v -timeout 10m [-load.duration 60s] [-load.clients 200]
//
// -short runs 10 s instead of 60 s (unless -load.duration is given). It is
// skipped without PostgreSQL, or fails with GENNAKER_REQUIRE_ALL=1 (pgenv).
//
// The API has no rate limit per client or per address (all 200 clients come
// from 127.0.0.1), so nothing needs to be accounted for there; lists are
// asked for within their page-size limits (docs/api.md).
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/test/pgenv"
	"github.com/gennaker/gennaker/test/testserver"
)

var exe string

func TestMain(m *testing.M) { testserver.Main(m, &exe) }

var (
	duration = flag.Duration("load.duration", 60*time.Second, "how long the clients run (10s under -short unless given)")
	clients  = flag.Int("load.clients", 200, "concurrent API clients: a tenth start executions, a tenth approve judgments, the rest read")
	think    = flag.Duration("load.think", 100*time.Millisecond, "a reader's or approver's pause between requests (jittered ±50%)")
	startGap = flag.Duration("load.start-every", time.Second, "a starter's pause between start requests (jittered ±50%)")
	drain    = flag.Duration("load.drain", 3*time.Minute, "how long the executions may take to end once the load stops")
	pgSample = flag.Bool("load.pgsample", false, "sample pg_stat_activity every 50 ms under load and log where backends wait")
	params   = flag.String("load.store-params", "", "more parameters of the replicas' store URL, e.g. pool_max_conns=50 (default pool: 20 connections a replica)")
)

const app = "load"

// The pipelines: quick ends on its own; gated waits for an approval.
const (
	quick = "load-quick"
	gated = "load-gated"
)

func config() []byte {
	b, _ := json.Marshal(map[string]any{
		"applications": []any{map[string]any{
			"name": app, "run": map[string]any{"command": "/bin/true"},
			"healthCheck": map[string]any{"path": "/healthz"}, "instances": 1,
		}},
		"environments": []any{},
		"pipelines": []any{
			map[string]any{"name": quick, "application": app, "stages": []any{
				map[string]any{"name": "prepare", "noop": map[string]any{}},
				map[string]any{"name": "soak", "needs": []string{"prepare"}, "wait": map[string]any{"duration": "1s"}},
				map[string]any{"name": "finish", "needs": []string{"soak"}, "noop": map[string]any{}},
			}},
			map[string]any{"name": gated, "application": app, "stages": []any{
				map[string]any{"name": "prepare", "noop": map[string]any{}},
				map[string]any{"name": "approve", "needs": []string{"prepare"}, "judgment": map[string]any{"instructions": "load test"}},
				map[string]any{"name": "finish", "needs": []string{"approve"}, "noop": map[string]any{}},
			}},
		},
	})
	return b
}

// api is one client of the replicas: its own token, requests round-robin
// over the replicas, every latency recorded under its route.
type api struct {
	hc       *http.Client
	replicas []string
	token    string
	next     int
	lat      map[string][]time.Duration
	errs     *errorLog
}

// errorLog keeps the first unexpected answers and counts them all.
type errorLog struct {
	mu    sync.Mutex
	n     int
	first []string
}

func (l *errorLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if len(l.first) < 20 {
		l.first = append(l.first, fmt.Sprintf(format, args...))
	}
}

// do sends a request to the next replica and decodes a JSON answer into
// out (nil: discarded). It returns the answer's Link header and whether the
// status was want; a different status or a transport error is logged.
func (a *api) do(ctx context.Context, route, method, path string, body any, want int, out any) (string, bool) {
	base := a.replicas[a.next%len(a.replicas)]
	a.next++
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		a.errs.add("%s: %v", route, err)
		return "", false
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	t0 := time.Now()
	resp, err := a.hc.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			a.errs.add("%s %s on %s: %v", method, path, base, err)
		}
		return "", false
	}
	defer resp.Body.Close()
	var raw []byte
	raw, err = io.ReadAll(resp.Body)
	a.lat[route] = append(a.lat[route], time.Since(t0))
	if err != nil || resp.StatusCode != want {
		a.errs.add("%s %s on %s: %s (want %d): %.300s %v", method, path, base, resp.Status, want, bytes.TrimSpace(raw), err)
		return "", false
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.errs.add("%s %s: decoding: %v", method, path, err)
			return "", false
		}
	}
	return testserver.NextPage(resp.Header.Get("Link")), true
}

type execution struct {
	ID       string `json:"id"`
	Pipeline string `json:"pipeline"`
	Status   string `json:"status"`
	Stages   []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"stages"`
}

func (e execution) stage(name string) string {
	for _, s := range e.Stages {
		if s.Name == name {
			return s.Status
		}
	}
	return ""
}

func TestTwoReplicas(t *testing.T) {
	pg := pgenv.Start(t)
	db := pg.Database(t)
	if *params != "" {
		sep := "?"
		if strings.Contains(db, "?") {
			sep = "&"
		}
		db += sep + *params
	}
	run := *duration
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "load.duration" })
	if testing.Short() && !explicit {
		run = 10 * time.Second
	}

	// One at a time: the first migrates the database. Each replica writes
	// the local admin's token to its own CLI file, replacing the one
	// before, so the last replica's is the one that works.
	var replicas []string
	var admin string
	for range 2 {
		s := testserver.Start(t, exe, testserver.Options{Args: []string{"--store", db}})
		replicas = append(replicas, s.URL)
		admin = s.Token
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}}
	errs := &errorLog{}
	ctx := context.Background()
	root := &api{hc: hc, replicas: replicas, token: admin, lat: map[string][]time.Duration{}, errs: errs}
	var applied json.RawMessage
	if _, ok := root.do(ctx, "config", "POST", "/api/v1/config", json.RawMessage(config()), http.StatusOK, &applied); !ok {
		t.Fatalf("applying the config: %v", errs.first)
	}

	// A token per client, made through the API (POST /api/v1/tokens) as
	// docs/security.md shows: one role over the application.
	nStart, nApprove := max(*clients/10, 1), max(*clients/10, 1)
	nRead := max(*clients-nStart-nApprove, 1)
	mk := func(role string, i int) *api {
		var tok struct {
			Secret string `json:"secret"`
		}
		req := map[string]any{"name": fmt.Sprintf("load-%s-%03d", role, i), "role": role, "scope": map[string]any{"application": app}, "expiresIn": "1d"}
		if _, ok := root.do(ctx, "tokens", "POST", "/api/v1/tokens", req, http.StatusCreated, &tok); !ok {
			t.Fatalf("creating a %s token: %v", role, errs.first)
		}
		return &api{hc: hc, replicas: replicas, token: tok.Secret, next: i, lat: map[string][]time.Duration{}, errs: errs}
	}
	var starters, approvers, readers []*api
	for i := range nStart {
		starters = append(starters, mk("deployer", i))
	}
	for i := range nApprove {
		approvers = append(approvers, mk("approver", i))
	}
	for i := range nRead {
		readers = append(readers, mk("viewer", i))
	}

	var (
		started  sync.Map // execution ID -> pipeline
		nStarted atomic.Int64
		approved atomic.Int64
		ids      recent
		toJudge  = make(chan string, 1<<16)
	)
	loadCtx, stop := context.WithTimeout(ctx, run)
	defer stop()
	pause := func(d time.Duration) bool {
		select {
		case <-loadCtx.Done():
			return false
		case <-time.After(d/2 + rand.N(d+1)):
			return true
		}
	}
	var wg sync.WaitGroup
	for i, c := range starters {
		wg.Go(func() {
			for n := 0; loadCtx.Err() == nil; n++ {
				pl := quick
				if (i+n)%2 == 1 {
					pl = gated
				}
				var e execution
				// A start that loses to the end of the load is not
				// counted: the request may or may not have been served.
				if _, ok := c.do(ctx, "POST /pipelines/{name}/executions", "POST", "/api/v1/pipelines/"+pl+"/executions", map[string]any{}, http.StatusCreated, &e); ok {
					started.Store(e.ID, pl)
					nStarted.Add(1)
					ids.add(e.ID)
					if pl == gated {
						toJudge <- e.ID
					}
				}
				if !pause(*startGap) {
					return
				}
			}
		})
	}
	// An approver takes a gated execution, reads it until its judgment
	// waits, and approves it; none is left over when the load ends (the
	// drain below approves those).
	for _, c := range approvers {
		wg.Go(func() {
			for {
				var id string
				select {
				case <-loadCtx.Done():
					return
				case id = <-toJudge:
				}
				if !approveWhenWaiting(ctx, loadCtx, c, id, pause, &approved) {
					toJudge <- id // the load ended first: the drain approves it
					return
				}
			}
		})
	}
	for i, c := range readers {
		wg.Go(func() {
			for n := i; pause(*think); n++ {
				switch n % 6 {
				case 0: // the newest executions, then the page after
					var page []execution
					link, _ := c.do(ctx, "GET /executions?limit=20", "GET", "/api/v1/executions?application="+app+"&limit=20", nil, http.StatusOK, &page)
					if link != "" {
						c.do(ctx, "GET /executions?cursor", "GET", link, nil, http.StatusOK, &page)
					}
				case 1:
					if id := ids.pick(); id != "" {
						c.do(ctx, "GET /executions/{id}", "GET", "/api/v1/executions/"+id, nil, http.StatusOK, nil)
					}
				case 2:
					c.do(ctx, "GET /events?limit=50", "GET", "/api/v1/events?application="+app+"&limit=50", nil, http.StatusOK, nil)
				case 3:
					c.do(ctx, "GET /applications", "GET", "/api/v1/applications", nil, http.StatusOK, nil)
				case 4:
					c.do(ctx, "GET /pipelines", "GET", "/api/v1/pipelines", nil, http.StatusOK, nil)
				case 5:
					c.do(ctx, "GET /healthz", "GET", "/healthz", nil, http.StatusOK, nil)
				}
			}
		})
	}
	t0 := time.Now()
	if *pgSample {
		go samplePostgres(t, loadCtx, pg.AdminURL())
	}
	wg.Wait()
	ran := time.Since(t0)

	// Drain: approve what is still waiting, then every started execution
	// must end, and succeed (nothing in these pipelines can fail).
	close(toJudge)
	left := 0
	for id := range toJudge {
		left++
		waitThenApprove(t, ctx, root, id, *drain)
	}
	deadline := time.Now().Add(*drain)
	var byStatus map[string]int
	var notDone []string
	for {
		byStatus, notDone = map[string]int{}, nil
		started.Range(func(k, _ any) bool {
			var e execution
			if _, ok := root.do(ctx, "drain: GET /executions/{id}", "GET", "/api/v1/executions/"+k.(string), nil, http.StatusOK, &e); ok {
				byStatus[e.Status]++
				if e.Status == "running" {
					notDone = append(notDone, e.ID)
				}
			}
			return true
		})
		if len(notDone) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	drained := time.Since(t0) - ran

	report(t, run, ran, drained, nStart, nApprove, nRead, nStarted.Load(), approved.Load(), left, byStatus,
		append(append(append([]*api{}, starters...), approvers...), readers...))
	if errs.n > 0 {
		t.Errorf("%d unexpected answers; the first:\n%s", errs.n, strings.Join(errs.first, "\n"))
	}
	if len(notDone) > 0 {
		t.Errorf("%d executions still running %s after the load stopped (stuck): %v", len(notDone), *drain, notDone[:min(len(notDone), 10)])
	}
	if byStatus["succeeded"] != int(nStarted.Load()) {
		t.Errorf("of %d executions started, %v", nStarted.Load(), byStatus)
	}
	if nStarted.Load() == 0 {
		t.Errorf("no execution started")
	}
}

// approveWhenWaiting reads execution id until its judgment waits and then
// approves it; false when the load ended first.
func approveWhenWaiting(ctx, loadCtx context.Context, c *api, id string, pause func(time.Duration) bool, approved *atomic.Int64) bool {
	for {
		var e execution
		if _, ok := c.do(ctx, "GET /executions/{id}", "GET", "/api/v1/executions/"+id, nil, http.StatusOK, &e); !ok {
			return loadCtx.Err() == nil // logged; the test fails
		}
		if e.stage("approve") == "waiting" {
			if _, ok := c.do(ctx, "POST /executions/{id}/approve", "POST", "/api/v1/executions/"+id+"/approve", map[string]any{"comment": "load"}, http.StatusOK, nil); ok {
				approved.Add(1)
			}
			return true
		}
		if !pause(*think) {
			return false
		}
	}
}

// waitThenApprove approves a gated execution once its judgment waits.
func waitThenApprove(t *testing.T, ctx context.Context, root *api, id string, within time.Duration) {
	t.Helper()
	end := time.Now().Add(within)
	for time.Now().Before(end) {
		var e execution
		if _, ok := root.do(ctx, "drain: GET /executions/{id}", "GET", "/api/v1/executions/"+id, nil, http.StatusOK, &e); !ok {
			return
		}
		switch e.stage("approve") {
		case "waiting":
			root.do(ctx, "drain: POST approve", "POST", "/api/v1/executions/"+id+"/approve", map[string]any{"comment": "drain"}, http.StatusOK, nil)
			return
		case "succeeded", "failed", "canceled", "skipped":
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// recent holds the IDs started so far, for readers to pick one.
type recent struct {
	mu  sync.Mutex
	ids []string
}

func (r *recent) add(id string) { r.mu.Lock(); r.ids = append(r.ids, id); r.mu.Unlock() }

func (r *recent) pick() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ids) == 0 {
		return ""
	}
	return r.ids[rand.N(len(r.ids))]
}

// report logs what ran and the latency per route (p50, p99, max) in a
// Markdown table for docs/benchmarks.md.
func report(t *testing.T, run, ran, drained time.Duration, nStart, nApprove, nRead int, started, approved int64, left int, byStatus map[string]int, all []*api) {
	lat := map[string][]time.Duration{}
	for _, c := range all {
		for r, ds := range c.lat {
			lat[r] = append(lat[r], ds...)
		}
	}
	var routes []string
	total := 0
	for r, ds := range lat {
		routes = append(routes, r)
		slices.Sort(ds)
		total += len(ds)
	}
	sort.Strings(routes)
	var b strings.Builder
	fmt.Fprintf(&b, "load: %s (ran %s), %d clients (%d deployers, %d approvers, %d viewers), 2 replicas on PostgreSQL\n",
		run, ran.Round(time.Millisecond), nStart+nApprove+nRead, nStart, nApprove, nRead)
	fmt.Fprintf(&b, "executions started %d, approved under load %d, approved in the drain %d; all ended %s after the load: %v\n",
		started, approved, left, drained.Round(time.Millisecond), byStatus)
	fmt.Fprintf(&b, "%d requests (%.0f/s under load)\n\n", total, float64(total)/ran.Seconds())
	fmt.Fprintf(&b, "| route | requests | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n")
	for _, r := range routes {
		ds := lat[r]
		fmt.Fprintf(&b, "| `%s` | %d | %.1f | %.1f | %.1f |\n", r, len(ds), ms(pct(ds, 50)), ms(pct(ds, 99)), ms(ds[len(ds)-1]))
	}
	t.Log("\n" + b.String())
}

// pct is the p-th percentile of sorted ds by nearest rank.
func pct(ds []time.Duration, p int) time.Duration {
	i := (len(ds)*p+99)/100 - 1
	return ds[max(i, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// samplePostgres logs, once ctx ends, the (state, wait event, statement)
// the database's busy backends were seen in most, with advisory lock
// holders marked (pg_stat_statements is not installed).
func samplePostgres(t *testing.T, ctx context.Context, adminURL string) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Logf("pgsample: %v", err)
		return
	}
	defer conn.Close(context.WithoutCancel(ctx))
	counts, samples := map[string]int{}, 0
	for ctx.Err() == nil {
		rows, err := conn.Query(ctx, `SELECT coalesce((SELECT 'HOLDS ' || string_agg(l.objid::text, ',') FROM pg_locks l
				WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted), '') || ' ' || state,
			coalesce(wait_event_type || ':' || wait_event, 'cpu'), left(regexp_replace(query, '\s+', ' ', 'g'), 100)
			FROM pg_stat_activity a WHERE usename = 'gennaker' AND state <> 'idle' AND pid <> pg_backend_pid()`)
		if err != nil {
			break
		}
		for rows.Next() {
			var st, wait, q string
			if rows.Scan(&st, &wait, &q) == nil {
				counts[fmt.Sprintf("%-36s %-22s %s", st, wait, q)]++
			}
		}
		rows.Close()
		samples++
		time.Sleep(50 * time.Millisecond)
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	var b strings.Builder
	for _, k := range keys[:min(len(keys), 15)] {
		fmt.Fprintf(&b, "%6.2f %s\n", float64(counts[k])/float64(max(samples, 1)), k)
	}
	t.Logf("pgsample: %d samples; mean busy backends per (state, wait, statement):\n%s", samples, b.String())
}
