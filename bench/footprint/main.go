// Command footprint measures how quickly a gennaker server becomes usable and
// how much memory it holds when idle:
//
//   - startup: from process start to the first 200 from GET /healthz (polled
//     every 2ms), on a fresh data directory; median of -starts runs.
//     Target: < 0.5 s.
//
//   - idle RSS: VmRSS from /proc/PID/status after the healthy server has sat
//     idle for -idle (5s); median of -rss runs. Target: < 60 MiB.
//
//     go run ./bench/footprint [-bin PATH] [-starts 5] [-rss 3] [-idle 5s]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

func main() {
	var (
		bin    = flag.String("bin", "", "gennaker binary (default: go build ./cmd/gennaker into a temp dir)")
		starts = flag.Int("starts", 5, "startup measurements (fresh data dir each)")
		rssN   = flag.Int("rss", 3, "idle RSS measurements (fresh server and data dir each)")
		idle   = flag.Duration("idle", 5*time.Second, "idle time before reading RSS")
		poll   = flag.Duration("poll", 2*time.Millisecond, "/healthz poll interval")
	)
	flag.Parse()
	tmp, err := os.MkdirTemp("", "gennaker-bench-footprint-")
	check(err)
	defer os.RemoveAll(tmp)
	path, err := harness.Binary(*bin, tmp)
	check(err)
	fmt.Printf("footprint benchmark: GOMAXPROCS/NumCPU %d/%d, binary %s\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), path)

	var ups []float64
	for i := 1; i <= *starts; i++ {
		srv, err := harness.Start(harness.Options{Bin: path, TempDir: tmp})
		check(err)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		d, err := srv.WaitHealthy(ctx, *poll)
		cancel()
		stopErr := srv.Stop()
		check(err)
		check(stopErr)
		fmt.Printf("start %d: healthy after %.1f ms\n", i, float64(d.Microseconds())/1000)
		ups = append(ups, d.Seconds())
	}

	var rss, hwm []float64
	for i := 1; i <= *rssN; i++ {
		srv, err := harness.Start(harness.Options{Bin: path, TempDir: tmp})
		check(err)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = srv.WaitHealthy(ctx, *poll)
		cancel()
		if err != nil {
			_ = srv.Stop()
			check(err)
		}
		time.Sleep(*idle)
		r, err1 := srv.RSS()
		h, err2 := srv.HWM()
		stopErr := srv.Stop()
		check(err1)
		check(err2)
		check(stopErr)
		fmt.Printf("idle %d: VmRSS %.1f MiB (VmHWM %.1f MiB) after %s idle\n", i, mib(r), mib(h), *idle)
		rss = append(rss, mib(r))
		hwm = append(hwm, mib(h))
	}

	up := harness.Median(ups)
	r := harness.Median(rss)
	fmt.Printf("median startup to /healthz: %.1f ms (target < 500 ms): %s\n", up*1000, verdict(up < 0.5))
	fmt.Printf("median idle VmRSS: %.1f MiB (VmHWM %.1f MiB) (target < 60 MiB): %s\n", r, harness.Median(hwm), verdict(r < 60))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func verdict(ok bool) string {
	if ok {
		return "MEETS"
	}
	return "MISSES"
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
