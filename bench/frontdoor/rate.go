package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

// rateResult is what the fixed-rate client measured, printed as JSON.
type rateResult struct {
	P99      time.Duration  `json:"p99"`
	Sent     int            `json:"sent"`
	Failed   int            `json:"failed"`
	Backends map[string]int `json:"backends"` // answers by X-Backend
}

// runRate is the fixed-rate (open loop) client: it starts a request every
// 1/rate seconds whether or not earlier ones have answered, and times each
// from when it was due, so a slow answer cannot hide the wait of the next
// ones (no coordinated omission, as in wrk2), and reports the
// p99 latency and the answers per backend. wrk2 is not in Debian; this is
// BenchmarkProxyVsDirect's p99AtRate as a separate process, so it can be
// pinned to the load generator's core.
func runRate(url string, rate, conns int, d time.Duration) error {
	// At most conns connections, like wrk's -c: a client that falls behind
	// queues its requests (their latency counts from when they were due)
	// instead of opening connections by the thousand, whose SYNs overflow
	// the listen backlog and come back seconds later.
	c := &http.Client{Transport: &http.Transport{Proxy: nil, MaxConnsPerHost: conns, MaxIdleConnsPerHost: conns},
		Timeout: 10 * time.Second}
	var warm sync.WaitGroup
	for range conns { // open the connections before measuring
		warm.Go(func() {
			if resp, err := c.Get(url); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		})
	}
	warm.Wait()
	var mu sync.Mutex
	var lat []time.Duration
	res := rateResult{Backends: map[string]int{}}
	var wg sync.WaitGroup
	every := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 0; time.Since(start) < d; i++ {
		due := start.Add(time.Duration(i) * every)
		time.Sleep(time.Until(due))
		wg.Go(func() {
			resp, err := c.Get(url)
			var id string
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				id = resp.Header.Get(backendHeader)
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			took := time.Since(due) // from when it was due: a late start counts
			mu.Lock()
			defer mu.Unlock()
			res.Sent++
			if err != nil {
				res.Failed++
				return
			}
			lat = append(lat, took)
			res.Backends[id]++
		})
	}
	wg.Wait()
	if len(lat) == 0 {
		return fmt.Errorf("no request to %s succeeded", url)
	}
	slices.Sort(lat)
	res.P99 = lat[len(lat)*99/100]
	return json.NewEncoder(os.Stdout).Encode(res)
}
