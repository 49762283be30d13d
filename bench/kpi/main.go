// Command kpi measures the delivery KPIs at a year of 4,000 production
// deploys a day (1.46 M executions): how fast the projector folds the
// event log into rollups, then how long a report takes.
//
// It opens a fresh store (SQLite in a temporary directory, or a database of
// a PostgreSQL 15 that test/pgenv starts, fsync off), applies -apps
// applications in -teams teams and three environments (two production),
// writes -days days of -per-day executions through the store's
// EventInsert (each deploying one version to one production environment,
// some failing, rolled back or followed by an incident; see history.go),
// folds them with kpi.Projector.CatchUp (printing events per second), and
// times -calls reports of each of: 90 days by week, every application; one
// team, 90 days by week; one application, 30 days by day; 365 days by
// month. With -api (SQLite only) it then starts a real `gennaker server`
// on the same data directory and times GET /api/v1/kpi for the same
// queries, end to end over one keep-alive connection.
//
//	go run ./bench/kpi                      # full scale: 4,000 a day for a year (long)
//	go run ./bench/kpi -per-day 400         # a tenth
//	go run ./bench/kpi -store postgres -per-day 400
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
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/internal/store/storeurl"
	"github.com/gennaker/gennaker/test/pgenv"
)

func main() {
	var (
		storeKind = flag.String("store", "sqlite", "sqlite or postgres")
		apps      = flag.Int("apps", 200, "applications")
		teams     = flag.Int("teams", 12, "teams")
		perDay    = flag.Int("per-day", 4000, "production deploys (executions) a day")
		days      = flag.Int("days", 365, "days of history")
		calls     = flag.Int("calls", 200, "reports timed per query")
		batch     = flag.Int("batch", 2000, "events inserted per transaction")
		api       = flag.Bool("api", false, "also time GET /api/v1/kpi on a real server (SQLite only)")
		bin       = flag.String("bin", "", "gennaker binary for -api (default: go build ./cmd/gennaker)")
		cpu       = flag.String("cpuprofile", "", "write a CPU profile of the in-process reports to this file")
		reuse     = flag.String("reports-only", "", "time the reports on this SQLite data directory (written and folded by an earlier run, perhaps still folding), ending at -end")
		end       = flag.String("end", "", "with -reports-only, the day (YYYY-MM-DD, exclusive) the queries end at")
		keep      = flag.Bool("keep", false, "keep the data directory (SQLite) for later -reports-only runs; its path and end day are printed")
	)
	flag.Parse()
	cpuProfile = *cpu
	if *reuse != "" {
		if err := reportsOnly(*reuse, *end, *apps, *teams, *calls); err != nil {
			fmt.Fprintln(os.Stderr, "kpi benchmark:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*storeKind, *apps, *teams, *perDay, *days, *calls, *batch, *api, *bin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "kpi benchmark:", err)
		os.Exit(1)
	}
}

func run(kind string, apps, teams, perDay, days, calls, batch int, api bool, bin string, keep bool) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "gennaker-bench-kpi-")
	if err != nil {
		return err
	}
	dataDir := filepath.Join(tmp, "data")
	if keep {
		defer fmt.Printf("kept: -reports-only %s -end %s\n", dataDir, kpi.Day(time.Now()).AddDate(0, 0, 1).Format(time.DateOnly))
	} else {
		defer os.RemoveAll(tmp)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	var st store.Store
	switch kind {
	case "sqlite":
		st, err = sqlite.Open(ctx, filepath.Join(dataDir, storeurl.DBFile), nil)
	case "postgres":
		pg, lerr := pgenv.Launch()
		if lerr != nil {
			return lerr
		}
		defer pg.Stop()
		name, cerr := pg.CreateDatabase(ctx, "kpi")
		if cerr != nil {
			return cerr
		}
		st, err = postgres.Open(ctx, pg.URL(name), nil)
	default:
		return fmt.Errorf("-store %q: want sqlite or postgres", kind)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Printf("kpi benchmark: %s, GOMAXPROCS/NumCPU %d/%d, load %s\n", kind, runtime.GOMAXPROCS(0), runtime.NumCPU(), harness.LoadAvg())
	fmt.Printf("history: %d applications in %d teams, %d production deploys a day for %d days (%d executions)\n", apps, teams, perDay, days, perDay*days)

	start := time.Now().UTC().AddDate(0, 0, -days)
	start = kpi.Day(start)
	h := &history{apps: apps, teams: teams, perDay: perDay, days: days, start: start, rng: rand.New(rand.NewPCG(1, 2)), versions: map[string]int{}}
	if _, err := st.ConfigApply(ctx, h.config()); err != nil {
		return err
	}
	t0 := time.Now()
	err = h.write(ctx, st, batch, func(d int) {
		if (d+1)%30 == 0 {
			fmt.Printf("  written %d days, %d events, %.0f s\n", d+1, h.events, time.Since(t0).Seconds())
		}
	})
	if err != nil {
		return err
	}
	took := time.Since(t0)
	fmt.Printf("written: %d events (%d executions) in %.1f s (%.0f events/s)\n", h.events, h.execN, took.Seconds(), float64(h.events)/took.Seconds())

	p := kpi.NewProjector(kpi.ProjectorConfig{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t0 = time.Now()
	if err := p.CatchUp(ctx); err != nil {
		return err
	}
	took = time.Since(t0)
	fmt.Printf("fold: %d events in %.1f s: %.0f events/s\n", h.events, took.Seconds(), float64(h.events)/took.Seconds())

	today := kpi.Day(time.Now())
	to := today.AddDate(0, 0, 1)
	queries := benchQueries(h, to)
	if err := timeReports(ctx, st, queries, calls); err != nil {
		return err
	}
	return serveAPI(ctx, st, kind, api, bin, tmp, dataDir, queries, calls)
}

type namedQuery struct {
	name string
	q    kpi.Query
}

func benchQueries(h *history, to time.Time) []namedQuery {
	return []namedQuery{
		{"90 days by week, all applications", kpi.Query{From: to.AddDate(0, 0, -90), To: to, By: kpi.BucketWeek}},
		{"one team, 90 days by week", kpi.Query{Team: h.teamName(3), From: to.AddDate(0, 0, -90), To: to, By: kpi.BucketWeek}},
		{"one application, 30 days by day", kpi.Query{Application: h.appName(7), From: to.AddDate(0, 0, -30), To: to, By: kpi.BucketDay}},
		{"365 days by month, all applications", kpi.Query{From: to.AddDate(0, 0, -365), To: to, By: kpi.BucketMonth}},
	}
}

func reportsOnly(dir, end string, apps, teams, calls int) error {
	ctx := context.Background()
	to, err := time.Parse(time.DateOnly, end)
	if err != nil {
		return fmt.Errorf("-end: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, storeurl.DBFile), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	h := &history{apps: apps, teams: teams}
	fmt.Printf("kpi benchmark: reports on %s ending %s, GOMAXPROCS/NumCPU %d/%d, load %s\n", dir, end, runtime.GOMAXPROCS(0), runtime.NumCPU(), harness.LoadAvg())
	return timeReports(ctx, st, benchQueries(h, to), calls)
}

func timeReports(ctx context.Context, st store.Store, queries []namedQuery, calls int) error {
	var err error
	rep := kpi.NewReporter(st)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
	}
	// The reporter keeps the rollups it read: the first call of a query
	// that reaches further back than any before reads them (cold), the
	// others only what changed since (warm, what a running server does).
	fmt.Printf("\nReporter.Report in process, %d calls each (ms; first: the call that read the period's rollups):\n", calls)
	fmt.Printf("%-38s %8s %8s %8s %8s %9s\n", "query", "first", "p50", "p99", "max", "deploys")
	for _, x := range queries {
		var ms []float64
		var r *kpi.Report
		for range calls {
			t := time.Now()
			if r, err = rep.Report(ctx, x.q); err != nil {
				return fmt.Errorf("%s: %w", x.name, err)
			}
			ms = append(ms, float64(time.Since(t).Microseconds())/1000)
		}
		warm := ms[1:]
		if len(warm) == 0 {
			warm = ms
		}
		fmt.Printf("%-38s %8.1f %8.1f %8.1f %8.1f %9d\n", x.name, ms[0], quantile(warm, 0.5), quantile(warm, 0.99), slices.Max(warm), r.Summary.Deploys)
	}
	pprof.StopCPUProfile()
	return nil
}

func serveAPI(ctx context.Context, st store.Store, kind string, api bool, bin, tmp, dataDir string, queries []namedQuery, calls int) error {
	if !api {
		return nil
	}
	if kind != "sqlite" {
		return fmt.Errorf("-api needs -store sqlite")
	}
	st.Close()
	path, err := harness.Binary(bin, tmp)
	if err != nil {
		return err
	}
	srv, err := harness.Start(harness.Options{Bin: path, TempDir: tmp, DataDir: dataDir})
	if err != nil {
		return err
	}
	defer srv.Stop()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, err := srv.WaitHealthy(wctx, 50*time.Millisecond); err != nil {
		return err
	}
	token, err := srv.Token()
	if err != nil {
		return err
	}
	c := &http.Client{Transport: harness.Authorized{Token: token, Base: http.DefaultTransport}}
	fmt.Printf("\nGET /api/v1/kpi end to end, %d calls each (ms):\n", calls)
	for _, x := range queries {
		u := srv.URL + "/api/v1/kpi?" + values(x.q).Encode()
		var ms []float64
		for range calls {
			t := time.Now()
			resp, err := c.Get(u)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: %s", u, resp.Status)
			}
			ms = append(ms, float64(time.Since(t).Microseconds())/1000)
		}
		fmt.Printf("%-38s %8.1f %8.1f %8.1f\n", x.name, quantile(ms, 0.5), quantile(ms, 0.99), slices.Max(ms))
	}
	return nil
}

var cpuProfile string

func values(q kpi.Query) url.Values { return q.Values() }

// quantile is the type-7 p-quantile of xs.
func quantile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	h := float64(len(s)-1) * p
	lo := int(h)
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}
