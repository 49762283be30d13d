package local

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkProxyVsDirect measures requests/s with 32 concurrent clients
// straight to one instance and through the front door to that same single
// instance, in alternating rounds (direct, proxied, direct, proxied, ...)
// with the same client, concurrency and keep-alive pool, then the p99
// latency of both at a steady 1,000 req/s. ratio is the median of the
// per-round ratios. It also reports CPU time per request, read from
// /proc: the instance's, and this process's (the load generator in direct
// rounds; load generator plus front door in proxied rounds), so
// proxy-cpu-us is what the front door costs per request.
//
//	go test -run '^$' -bench ProxyVsDirect -benchtime 1x ./internal/provider/local
func BenchmarkProxyVsDirect(b *testing.B) {
	const rounds, round, workers = 3, 2 * time.Second, 32
	p := newTestProvider(b, "")
	spec := sampleSpec(b, "bench-v001", "v1", 1, nil)
	ensureHealthy(b, p, spec)
	if err := p.SetRoutes(b.Context(), FrontDoor{Application: "checkout", Environment: "test", Address: "127.0.0.1:0",
		Routes: []Route{{ServerGroup: spec.Name, Weight: 100}}}); err != nil {
		b.Fatal(err)
	}
	h, _ := p.Health(b.Context(), spec.Ref())
	direct := "http://127.0.0.1:" + itoa(h.Instances[0].Port) + "/"
	proxied := "http://" + p.FrontDoorAddress("checkout", "test") + "/"
	instPID := h.Instances[0].PID
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256}}

	for range b.N {
		throughput(b, client, direct, 300*time.Millisecond, workers) // warm up
		throughput(b, client, proxied, 300*time.Millisecond, workers)
		var ratios, dRPS, pRPS []float64
		var dSelf, dInst, pSelf, pInst []float64 // CPU µs per request
		for range rounds {
			d := measure(b, client, direct, round, workers, instPID)
			q := measure(b, client, proxied, round, workers, instPID)
			ratios = append(ratios, q.rps/d.rps)
			dRPS, pRPS = append(dRPS, d.rps), append(pRPS, q.rps)
			dSelf, dInst = append(dSelf, d.selfUS), append(dInst, d.instUS)
			pSelf, pInst = append(pSelf, q.selfUS), append(pInst, q.instUS)
		}
		dP99 := p99AtRate(b, client, direct, 1000, 2*time.Second)
		pP99 := p99AtRate(b, client, proxied, 1000, 2*time.Second)
		b.ReportMetric(median(dRPS), "direct-req/s")
		b.ReportMetric(median(pRPS), "proxy-req/s")
		b.ReportMetric(median(ratios), "ratio")
		b.ReportMetric(median(dInst), "inst-cpu-us")
		b.ReportMetric(median(dSelf), "client-cpu-us")
		b.ReportMetric(median(pSelf)-median(dSelf), "proxy-cpu-us")
		b.ReportMetric(float64(dP99.Microseconds())/1000, "direct-p99-ms")
		b.ReportMetric(float64(pP99.Microseconds())/1000, "proxy-p99-ms")
		b.ReportMetric(float64((pP99-dP99).Microseconds())/1000, "added-p99-ms")
		b.Logf("rounds: ratios %.3f, direct req/s %.0f, proxied req/s %.0f", ratios, dRPS, pRPS)
		b.Logf("CPU µs/request: direct self %.1f inst %.1f; proxied self %.1f inst %.1f", dSelf, dInst, pSelf, pInst)
	}
}

type roundResult struct{ rps, selfUS, instUS float64 }

// measure runs one closed-loop round and the CPU both processes spent on it.
func measure(b *testing.B, c *http.Client, url string, d time.Duration, workers, instPID int) roundResult {
	self0, inst0 := cpuTicks(b, os.Getpid()), cpuTicks(b, instPID)
	rps := throughput(b, c, url, d, workers)
	self1, inst1 := cpuTicks(b, os.Getpid()), cpuTicks(b, instPID)
	n := rps * d.Seconds()
	perReq := func(ticks float64) float64 { return ticks / clockTicks * 1e6 / n }
	return roundResult{rps: rps, selfUS: perReq(self1 - self0), instUS: perReq(inst1 - inst0)}
}

const clockTicks = 100 // USER_HZ on Linux

// cpuTicks is utime+stime of pid from /proc/pid/stat.
func cpuTicks(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:])) // f[0] is field 3
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return u + s
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// throughput runs workers closed-loop clients for d and returns requests/s.
func throughput(b *testing.B, c *http.Client, url string, d time.Duration, workers int) float64 {
	var n atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if do(c, url) != nil {
					b.Error("request failed")
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
}

// p99AtRate sends rate req/s (open loop) for d and returns the p99 latency.
func p99AtRate(b *testing.B, c *http.Client, url string, rate int, d time.Duration) time.Duration {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	every := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 0; time.Since(start) < d; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * every)))
		wg.Go(func() {
			t0 := time.Now()
			if do(c, url) != nil {
				b.Error("request failed")
				return
			}
			mu.Lock()
			lat = append(lat, time.Since(t0))
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	return lat[len(lat)*99/100]
}

func do(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}
