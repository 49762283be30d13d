package local

import (
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkProxyVsDirect measures, in the same run, requests/s with 32
// concurrent clients straight to one instance and through the front door,
// then the p99 latency of both at a steady 1,000 req/s.
//
//	go test -run '^$' -bench ProxyVsDirect -benchtime 1x ./internal/provider/local
func BenchmarkProxyVsDirect(b *testing.B) {
	p := newTestProvider(b, "")
	spec := sampleSpec(b, "bench-v001", "v1", 1, nil)
	ensureHealthy(b, p, spec)
	if err := p.SetRoutes(b.Context(), FrontDoor{Application: "checkout", Environment: "test", Address: "127.0.0.1:0",
		Routes: []Route{{ServerGroup: spec.Name, Weight: 100}}}); err != nil {
		b.Fatal(err)
	}
	h, _ := p.Health(b.Context(), spec.Name)
	direct := "http://127.0.0.1:" + itoa(h.Instances[0].Port) + "/"
	proxied := "http://" + p.FrontDoorAddress("checkout", "test") + "/"
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256}}

	for range b.N {
		throughput(b, client, direct, 300*time.Millisecond, 32) // warm up
		throughput(b, client, proxied, 300*time.Millisecond, 32)
		dRPS := throughput(b, client, direct, 2*time.Second, 32)
		pRPS := throughput(b, client, proxied, 2*time.Second, 32)
		dP99 := p99AtRate(b, client, direct, 1000, 2*time.Second)
		pP99 := p99AtRate(b, client, proxied, 1000, 2*time.Second)
		b.ReportMetric(dRPS, "direct-req/s")
		b.ReportMetric(pRPS, "proxy-req/s")
		b.ReportMetric(pRPS/dRPS, "ratio")
		b.ReportMetric(float64(dP99.Microseconds())/1000, "direct-p99-ms")
		b.ReportMetric(float64(pP99.Microseconds())/1000, "proxy-p99-ms")
		b.ReportMetric(float64((pP99-dP99).Microseconds())/1000, "added-p99-ms")
	}
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
