// Command footprint measures how quickly a gennaker server becomes usable and
// how much memory it holds when idle:
//
//   - startup: from process start to the first 200 from GET /healthz (polled
//     every 2ms), on a fresh data directory; median of -starts runs.
//     Target: < 0.5 s.
//
//   - idle RSS: VmRSS from /proc/PID/status after the healthy server has sat
//     idle for -idle (5s); median of -rss runs, with its split into RssAnon
//     (heap, stacks, runtime) and RssFile (the binary's pages mapped in).
//     Target: < 60 MiB.
//
// RssFile depends on how the binary's file sits in the page cache, not only
// on the server: the kernel maps a whole page-cache folio into the process
// when one of its pages is touched. A file written in large chunks (the Go
// linker's mmap output, a 1 MiB write loop, an archive extracted) is cached
// in large folios, up to 2 MiB, on kernels with large folios for the file
// system (Linux 6.18, ext4 here); a file read from disk by exec's page
// faults, or copied by cp (copy_file_range), in 4 KiB pages. The same
// binary idled at 57.5 MiB cold and at 64-83 MiB in large folios
// (docs/benchmarks.md, Footprint). -pagecache says which state is measured:
//
//   - as-is: the file as it is: freshly linked when built here, in as many
//     large folios as the kernel had free memory for when it was written;
//
//   - copy: a copy written in 1 MiB write calls into the temporary
//     directory (as an archive or image layer is unpacked): large folios;
//
//   - cold: -bin itself, dropped from the page cache (fsync, then
//     POSIX_FADV_DONTNEED, this file only) before every start, so exec
//     reads it from disk as after a reboot: 4 KiB pages, the same from run
//     to run; the startup times then include that reading.
//
//     go run ./bench/footprint [-bin PATH] [-starts 5] [-rss 3] [-idle 5s] [-pagecache as-is|copy|cold]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

func main() {
	var (
		bin    = flag.String("bin", "", "gennaker binary (default: go build ./cmd/gennaker into a temp dir)")
		starts = flag.Int("starts", 5, "startup measurements (fresh data dir each)")
		rssN   = flag.Int("rss", 3, "idle RSS measurements (fresh server and data dir each)")
		idle   = flag.Duration("idle", 5*time.Second, "idle time before reading RSS")
		poll   = flag.Duration("poll", 2*time.Millisecond, "/healthz poll interval")
		cache  = flag.String("pagecache", "as-is", "the binary's page-cache state: as-is, copy or cold (see the command's doc)")
	)
	flag.Parse()
	tmp, err := os.MkdirTemp("", "gennaker-bench-footprint-")
	check(err)
	defer os.RemoveAll(tmp)
	path, err := harness.Binary(*bin, tmp)
	check(err)
	prepare, err := pageCache(*cache, path, tmp)
	check(err)
	fmt.Printf("footprint benchmark: GOMAXPROCS/NumCPU %d/%d, binary %s, page cache %s\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), path, *cache)

	var ups []float64
	for i := 1; i <= *starts; i++ {
		path, err := prepare()
		check(err)
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

	var rss, hwm, anon, file []float64
	for i := 1; i <= *rssN; i++ {
		path, err := prepare()
		check(err)
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
		a, f, err3 := srv.RSSParts()
		stopErr := srv.Stop()
		check(err1)
		check(err2)
		check(err3)
		check(stopErr)
		fmt.Printf("idle %d: VmRSS %.1f MiB (RssAnon %.1f, RssFile %.1f; VmHWM %.1f MiB) after %s idle\n", i, mib(r), mib(a), mib(f), mib(h), *idle)
		rss = append(rss, mib(r))
		hwm = append(hwm, mib(h))
		anon = append(anon, mib(a))
		file = append(file, mib(f))
	}

	up := harness.Median(ups)
	r := harness.Median(rss)
	fmt.Printf("median startup to /healthz: %.1f ms (target < 500 ms): %s\n", up*1000, verdict(up < 0.5))
	fmt.Printf("median idle VmRSS: %.1f MiB (RssAnon %.1f, RssFile %.1f; VmHWM %.1f MiB; page cache %s) (target < 60 MiB): %s\n",
		r, harness.Median(anon), harness.Median(file), harness.Median(hwm), *cache, verdict(r < 60))
}

// pageCache returns what to run before each server start for the given
// page-cache state: it yields the binary to start.
func pageCache(state, bin, tmp string) (func() (string, error), error) {
	switch state {
	case "as-is":
		return func() (string, error) { return bin, nil }, nil
	case "copy":
		dst := filepath.Join(tmp, "gennaker-copy")
		if err := copyFile(dst, bin); err != nil {
			return nil, err
		}
		return func() (string, error) { return dst, nil }, nil
	case "cold":
		return func() (string, error) { return bin, dropFromPageCache(bin) }, nil
	}
	return nil, fmt.Errorf("-pagecache %q: use as-is, copy or cold", state)
}

// copyFile copies with plain 1 MiB read and write calls (no
// copy_file_range), as an archive is unpacked.
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for {
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				out.Close()
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			out.Close()
			return rerr
		}
	}
	return out.Close()
}

// dropFromPageCache writes back and drops the file's cached pages (only
// this file's), so the next start reads it from disk.
func dropFromPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("dropping %s from the page cache: %w", path, err)
	}
	return nil
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
