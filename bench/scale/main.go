// Command scale measures a gennaker server on PostgreSQL holding a large
// history: -apps applications (10,000) × -envs environments (3), one
// release pipeline each, and a year of executions (-executions, 1.5 M: 4,000
// deploys a day compressed) with their stages and two events each, plus
// audit entries and tokens. The data is written directly by COPY (not
// through the API) into a fresh database of a PostgreSQL started by
// test/pgenv; then a real `gennaker server --store postgres://...` starts on
// it and the program reports:
//
//   - generation time and the database size (pg_database_size);
//   - the server's VmRSS after start and after every list endpoint below
//     has been exercised (target < 1 GiB, flat in the number of applications);
//   - p50/p99 latency of every list endpoint of the API and the UI, first
//     pages (a random application's, where the endpoint filters by one) and
//     next pages (following the Link header), -requests each at a page of
//     -page (target p99 < 100 ms).
//
// -apps takes a comma-separated list: each size gets its own database and
// server, so the RSS lines compare sizes.
//
// -before BIN also starts an older build on the same database and compares
// the UI pages on both, in alternating rounds (-rounds).
//
//	go run ./bench/scale [-apps 1000,3000,10000] [-executions 1500000] [-requests 200] [-page 50] [-bin PATH] [-before PATH -rounds 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/test/pgenv"
)

func main() {
	var (
		appsFlag = flag.String("apps", "10000", "application counts to measure, comma separated (a database and server each)")
		envs     = flag.Int("envs", 3, "environments (at most 6)")
		execs    = flag.Int("executions", 1_500_000, "executions over the year (4,000 a day compressed: 1.5 M)")
		audits   = flag.Int("audit", 20_000, "audit entries")
		tokens   = flag.Int("tokens", 200, "API tokens")
		requests = flag.Int("requests", 200, "requests per endpoint and kind (first page, next page)")
		pageSize = flag.Int("page", 50, "page size (limit)")
		bin      = flag.String("bin", "", "gennaker binary (default: go build ./cmd/gennaker)")
		skip     = flag.String("skip", "", "leave out these endpoints (names as printed), comma separated")
		before   = flag.String("before", "", "a second gennaker binary (an older build): measure the UI pages on both over the same database, in alternating rounds")
		rounds   = flag.Int("rounds", 5, "rounds of the -before comparison")
	)
	flag.Parse()
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "gennaker-bench-scale-")
	check(err)
	defer os.RemoveAll(tmp)
	path, err := harness.Binary(*bin, tmp)
	check(err)
	pg, err := pgenv.Launch()
	check(err)
	defer pg.Stop()
	fmt.Printf("scale benchmark: GOMAXPROCS/NumCPU %d/%d, PostgreSQL %d (pgenv: fsync off), binary %s\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), pgenv.MajorVersion, path)
	for _, a := range strings.Split(*appsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(a))
		check(err)
		s := shape{Apps: n, Envs: *envs, Executions: *execs, AuditEntries: *audits, Tokens: *tokens, Now: time.Now().UTC().Truncate(time.Second)}
		if err := runSize(ctx, pg, path, tmp, s, *requests, *pageSize, *skip, *before, *rounds); err != nil {
			pg.Stop()
			check(err)
		}
	}
}

func runSize(ctx context.Context, pg *pgenv.Server, bin, tmp string, s shape, requests, page int, skip, before string, rounds int) error {
	fmt.Printf("\n== %d applications × %d environments, %d executions (%d stages, %d events), %d audit entries, %d tokens\n",
		s.Apps, s.Envs, s.Executions, s.Executions*(s.Envs+1), 2*s.Executions, s.AuditEntries, s.Tokens)
	name, err := pg.CreateDatabase(ctx, fmt.Sprintf("scale%d", s.Apps))
	if err != nil {
		return err
	}
	dbURL := pg.URL(name)
	took, err := generate(ctx, dbURL, s, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	fmt.Printf("generation: %.1f s (migrate %.1f, config+server groups %.1f, history %.1f, audit+tokens %.1f, vacuum analyze %.1f)\n",
		took["total"].Seconds(), took["migrate"].Seconds(), took["config"].Seconds(), took["history"].Seconds(), took["audit+tokens"].Seconds(), took["vacuum analyze"].Seconds())
	if err := printSizes(ctx, dbURL); err != nil {
		return err
	}

	srv, err := harness.Start(harness.Options{Bin: bin, TempDir: tmp, Extra: []string{"--store", dbURL}})
	if err != nil {
		return err
	}
	defer srv.Stop()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	up, err := srv.WaitHealthy(wctx, 10*time.Millisecond)
	cancel()
	if err != nil {
		return err
	}
	// Let start-up's own work (River's leader election and first fetches,
	// the engine's first due scan) end before reading RSS after start.
	time.Sleep(2 * time.Second)
	rss0, err := srv.RSS()
	if err != nil {
		return err
	}
	fmt.Printf("server healthy after %.2f s; VmRSS after start %.1f MiB\n", up.Seconds(), mib(rss0))
	tok, err := srv.Token()
	if err != nil {
		return err
	}
	c := &client{base: srv.URL, http: &http.Client{Timeout: 30 * time.Second, Transport: harness.Authorized{Token: tok}}}
	fmt.Printf("%-44s %6s %9s %9s %9s %8s\n", "endpoint", "n", "p50 ms", "p99 ms", "max ms", "max B")
	for _, e := range endpoints(s, page) {
		if skipped(e.name, skip) {
			continue
		}
		if err := c.measure(e, requests); err != nil {
			return err
		}
		if rss, err := srv.RSS(); err == nil {
			fmt.Printf("%-44s VmRSS now %.1f MiB\n", "", mib(rss))
		}
	}
	rss1, err := srv.RSS()
	if err != nil {
		return err
	}
	hwm, err := srv.HWM()
	if err != nil {
		return err
	}
	verdict := "MEETS"
	if rss1 > 1<<30 {
		verdict = "MISSES"
	}
	fmt.Printf("VmRSS after every endpoint %.1f MiB (VmHWM %.1f MiB) (target < 1024 MiB): %s\n", mib(rss1), mib(hwm), verdict)
	if before != "" {
		return compare(c, before, tmp, dbURL, s, requests, rounds)
	}
	return nil
}

func skipped(name, skip string) bool {
	for _, s := range strings.Split(skip, ",") {
		if s != "" && strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

func printSizes(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var size int64
	if err := conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&size); err != nil {
		return err
	}
	fmt.Printf("database size: %.0f MiB;", mib(size))
	for _, t := range []string{"execution", "stage", "event", "server_group", "audit", "application", "pipeline"} {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass)", t).Scan(&n); err != nil {
			return err
		}
		fmt.Printf(" %s %.0f", t, mib(n))
	}
	fmt.Println(" (MiB, with indexes)")
	return nil
}

// endpoint is one list to measure: first builds the URL of a first page;
// pages says whether to also follow its Link header.
type endpoint struct {
	name  string
	first func(r *rand.Rand) string
	pages bool
}

func endpoints(s shape, page int) []endpoint {
	lim := "limit=" + strconv.Itoa(page)
	app := func(r *rand.Rand) string { return appName(r.IntN(s.Apps)) }
	fixed := func(u string) func(*rand.Rand) string { return func(*rand.Rand) string { return u } }
	return []endpoint{
		{"GET /api/v1/applications", fixed("/api/v1/applications?" + lim), true},
		{"GET /api/v1/environments", fixed("/api/v1/environments"), false},
		{"GET /api/v1/pipelines", fixed("/api/v1/pipelines?" + lim), true},
		{"GET /api/v1/pipelines?application=", func(r *rand.Rand) string { return "/api/v1/pipelines?application=" + app(r) }, false},
		{"GET /api/v1/executions", fixed("/api/v1/executions?" + lim), true},
		{"GET /api/v1/executions?application=", func(r *rand.Rand) string { return "/api/v1/executions?" + lim + "&application=" + app(r) }, true},
		{"GET /api/v1/executions?pipeline=", func(r *rand.Rand) string { return "/api/v1/executions?" + lim + "&pipeline=" + app(r) + "-release" }, true},
		{"GET /api/v1/executions?status=failed", fixed("/api/v1/executions?" + lim + "&status=failed"), true},
		{"GET /api/v1/executions?application=&status=", func(r *rand.Rand) string {
			return "/api/v1/executions?" + lim + "&status=failed,canceled&application=" + app(r)
		}, true},
		{"GET /api/v1/events", fixed("/api/v1/events?" + lim), false},
		{"GET /api/v1/events?after=", func(r *rand.Rand) string {
			return "/api/v1/events?" + lim + "&after=" + strconv.Itoa(r.IntN(2*s.Executions))
		}, true},
		{"GET /api/v1/events?application=", func(r *rand.Rand) string { return "/api/v1/events?" + lim + "&application=" + app(r) }, false},
		{"GET /api/v1/events?kind=deploy_failed", fixed("/api/v1/events?" + lim + "&kind=deploy_failed"), false},
		{"GET /api/v1/applications/{name}/status", func(r *rand.Rand) string { return "/api/v1/applications/" + app(r) + "/status" }, false},
		{"GET /api/v1/audit", fixed("/api/v1/audit?" + lim), false},
		{"GET /api/v1/audit?after=", func(r *rand.Rand) string {
			return "/api/v1/audit?" + lim + "&after=" + strconv.Itoa(r.IntN(s.AuditEntries))
		}, true},
		{"GET /api/v1/audit?application=", func(r *rand.Rand) string { return "/api/v1/audit?" + lim + "&application=" + app(r) }, false},
		{"GET /api/v1/tokens", fixed("/api/v1/tokens"), false},
		{"UI GET /", fixed("/"), false}, // its next page is an <a href>, not a Link header
		{"UI GET /applications/{name}", func(r *rand.Rand) string { return "/applications/" + app(r) }, false},
		{"UI GET /events", fixed("/events"), false},
		{"GET /api/v1/config (export: everything)", fixed("/api/v1/config"), false},
	}
}

type client struct {
	base string
	http *http.Client
}

// get fetches one URL and returns its duration, size and next page.
func (c *client) get(u string) (time.Duration, int, string, error) {
	t := time.Now()
	resp, err := c.http.Get(c.base + u)
	if err != nil {
		return 0, 0, "", err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t)
	if err != nil {
		return 0, 0, "", err
	}
	if resp.StatusCode != 200 {
		return 0, 0, "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return d, int(n), nextPage(resp.Header.Get("Link")), nil
}

// nextPage is the URL of a Link header's rel="next" ("" when none).
func nextPage(link string) string {
	for _, part := range strings.Split(link, ",") {
		if strings.Contains(part, `rel="next"`) {
			if i, j := strings.Index(part, "<"), strings.Index(part, ">"); i >= 0 && j > i {
				u, err := url.Parse(part[i+1 : j])
				if err == nil {
					return u.RequestURI()
				}
			}
		}
	}
	return ""
}

func (c *client) measure(e endpoint, n int) error {
	r := rand.New(rand.NewPCG(1, 2))
	if e.name == "GET /api/v1/config (export: everything)" {
		n = min(n, 5)
	}
	var firsts, nexts []float64
	var size int
	next := ""
	for i := 0; i < n; i++ {
		d, sz, nx, err := c.get(e.first(r))
		if err != nil {
			return err
		}
		firsts, size = append(firsts, ms(d)), max(size, sz)
		if i == 0 {
			next = nx
		}
	}
	report(e.name+" (first)", firsts, size)
	if !e.pages {
		return nil
	}
	if next == "" {
		fmt.Printf("%-44s no Link rel=\"next\": the whole list came in one answer\n", e.name+" (next)")
		return nil
	}
	// Walk successive pages from the first; a walk that ends starts over.
	start, size := next, 0
	for i := 0; i < n; i++ {
		d, sz, nx, err := c.get(next)
		if err != nil {
			return err
		}
		nexts, size = append(nexts, ms(d)), max(size, sz)
		if next = nx; next == "" {
			next = start
		}
	}
	report(e.name+" (next)", nexts, size)
	return nil
}

func report(name string, ds []float64, size int) {
	sort.Float64s(ds)
	q := func(p float64) float64 { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	fmt.Printf("%-44s %6d %9.1f %9.1f %9.1f %8d\n", name, len(ds), q(0.5), q(0.99), ds[len(ds)-1], size)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func mib(b int64) float64        { return float64(b) / (1 << 20) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
