// Command idle measures what an idle gennaker server costs the machine: a
// server on a fresh embedded store, with nothing to run, is started, left to
// settle for -settle, then watched for -window:
//
//   - CPU: user+system time from /proc/PID/stat over the window, as a
//     percentage of one core. Target: < 0.5%.
//   - wake-ups: voluntary context switches of all its threads
//     (/proc/PID/task/*/status) per second: how often a thread blocked and
//     was woken again (a timer, a poll, a lock);
//   - I/O syscalls: read-type plus write-type system calls (syscr + syscw of
//     /proc/PID/io) per second: a database poll shows up here (SQLite reads
//     its file; a PostgreSQL query writes to and reads from a socket).
//
// It reads /proc only, without strace (which slows the process it traces);
// median of -runs runs, each a fresh server and data directory. With
// -store postgres the program starts a PostgreSQL server of its own
// (test/pgenv) and each run's server gets a fresh database on it; only the
// gennaker process is measured.
//
//	go run ./bench/idle [-bin PATH] [-runs 3] [-settle 10s] [-window 60s] [-store sqlite|postgres] [-- server flags]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/test/pgenv"
)

func main() {
	var (
		bin    = flag.String("bin", "", "gennaker binary (default: go build ./cmd/gennaker into a temp dir)")
		runs   = flag.Int("runs", 3, "measurements (fresh server and data dir each)")
		settle = flag.Duration("settle", 10*time.Second, "idle time after /healthz before the window starts")
		window = flag.Duration("window", 60*time.Second, "how long each measurement watches the idle server")
		storeK = flag.String("store", "sqlite", "sqlite (the embedded store) or postgres (a PostgreSQL server started for the benchmark, a fresh database per run)")
	)
	flag.Parse()
	var pg *pgenv.Server
	switch *storeK {
	case "sqlite":
	case "postgres":
		var err error
		pg, err = pgenv.Launch()
		check(err)
		defer pg.Stop()
	default:
		check(fmt.Errorf("-store %q: use sqlite or postgres", *storeK))
	}
	tmp, err := os.MkdirTemp("", "gennaker-bench-idle-")
	check(err)
	defer os.RemoveAll(tmp)
	path, err := harness.Binary(*bin, tmp)
	check(err)
	fmt.Printf("idle benchmark: NumCPU %d, binary %s, store %s, settle %s, window %s\n", runtime.NumCPU(), path, *storeK, *settle, *window)

	var cpu, wakes, ios []float64
	for i := 1; i <= *runs; i++ {
		extra := flag.Args()
		if pg != nil {
			db, err := pg.CreateDatabase(context.Background(), "bench_idle")
			check(err)
			extra = append([]string{"--store", pg.URL(db)}, extra...)
		}
		s, err := measure(harness.Options{Bin: path, TempDir: tmp, Extra: extra}, *settle, *window)
		check(err)
		fmt.Printf("run %d: cpu %.2f%% of a core, %.1f wake-ups/s, %.1f I/O syscalls/s\n", i, s.cpu, s.wakes, s.ios)
		cpu, wakes, ios = append(cpu, s.cpu), append(wakes, s.wakes), append(ios, s.ios)
	}
	fmt.Printf("median of %d: cpu %.2f%% of a core, %.1f wake-ups/s, %.1f I/O syscalls/s\n",
		*runs, harness.Median(cpu), harness.Median(wakes), harness.Median(ios))
}

type sample struct{ cpu, wakes, ios float64 }

type counters struct {
	ticks, ctxsw, syscalls int64
	at                     time.Time
}

func measure(o harness.Options, settle, window time.Duration) (sample, error) {
	srv, err := harness.Start(o)
	if err != nil {
		return sample{}, err
	}
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	_, err = srv.WaitHealthy(ctx, 50*time.Millisecond)
	cancel()
	if err != nil {
		return sample{}, err
	}
	time.Sleep(settle)
	pid := srv.Cmd.Process.Pid
	a, err := read(pid)
	if err != nil {
		return sample{}, err
	}
	time.Sleep(window)
	b, err := read(pid)
	if err != nil {
		return sample{}, err
	}
	secs := b.at.Sub(a.at).Seconds()
	return sample{
		cpu:   100 * float64(b.ticks-a.ticks) / clockTicks / secs,
		wakes: float64(b.ctxsw-a.ctxsw) / secs,
		ios:   float64(b.syscalls-a.syscalls) / secs,
	}, nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTicks = 100

func read(pid int) (counters, error) {
	c := counters{at: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return c, err
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	c.ticks = utime + stime
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil {
		return c, err
	}
	for _, t := range tasks {
		n, err := field(t, "voluntary_ctxt_switches:")
		if err != nil {
			continue // the thread ended
		}
		c.ctxsw += n
	}
	r, err := field(fmt.Sprintf("/proc/%d/io", pid), "syscr:")
	if err != nil {
		return c, err
	}
	w, err := field(fmt.Sprintf("/proc/%d/io", pid), "syscw:")
	if err != nil {
		return c, err
	}
	c.syscalls = r + w
	return c, nil
}

func field(file, key string) (int64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", file, key)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "idle:", err)
		os.Exit(1)
	}
}
