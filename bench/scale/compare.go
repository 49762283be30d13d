package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

// compare measures the UI pages on the server under test (after) and on a
// second binary (-before) over the same database, in alternating rounds
// of -requests each, so both see the same machine load: it prints each
// round's medians and the median of the rounds' ratios before/after.
func compare(after *client, beforeBin, tmp, dbURL string, s shape, requests, rounds int) error {
	srv, err := harness.Start(harness.Options{Bin: beforeBin, TempDir: tmp, Extra: []string{"--store", dbURL}})
	if err != nil {
		return err
	}
	defer srv.Stop()
	wctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	_, err = srv.WaitHealthy(wctx, 10*time.Millisecond)
	cancel()
	if err != nil {
		return err
	}
	tok, err := srv.Token()
	if err != nil {
		return err
	}
	// The second server's start wrote a new admin token and revoked the
	// first's (one "local" token at a time): both servers read tokens from
	// the same database, so the new one serves both.
	// A redirect (to /login) is an error, not a fast page.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	before := &client{base: srv.URL, http: &http.Client{Timeout: 60 * time.Second, Transport: harness.Authorized{Token: tok}, CheckRedirect: noRedirect}}
	after = &client{base: after.base, http: before.http}
	fmt.Printf("\nbefore (%s) / after, same database, %d alternating rounds of %d requests (p50 ms per round):\n", beforeBin, rounds, requests)
	for _, e := range endpoints(s, 50) {
		if !strings.HasPrefix(e.name, "UI GET /applications") && e.name != "UI GET /" {
			continue
		}
		var ratios, b50, a50, b99, a99 []float64
		for range rounds {
			bq, err := before.sample(e, requests)
			if err != nil {
				return err
			}
			aq, err := after.sample(e, requests)
			if err != nil {
				return err
			}
			if bq[2] != aq[2] && (bq[2] < aq[2]/2 || aq[2] < bq[2]/2) {
				return fmt.Errorf("%s: before answers %.0f bytes, after %.0f: not the same page", e.name, bq[2], aq[2])
			}
			b50, a50 = append(b50, bq[0]), append(a50, aq[0])
			b99, a99 = append(b99, bq[1]), append(a99, aq[1])
			ratios = append(ratios, bq[0]/aq[0])
		}
		fmt.Printf("%-32s before p50 %v p99 %v\n%-32s after  p50 %v p99 %v\n%-32s median before/after p50 ratio %.1f× (before p50 %.1f ms, p99 %.1f; after p50 %.1f ms, p99 %.1f)\n",
			e.name, b50, b99, "", a50, a99, "", median(ratios), median(b50), median(b99), median(a50), median(a99))
	}
	return nil
}

// sample fetches e's first page n times and returns its p50 and p99 in ms
// and the largest answer's size in bytes.
func (c *client) sample(e endpoint, n int) ([3]float64, error) {
	r := rand.New(rand.NewPCG(1, 2))
	var ds []float64
	size := 0
	for range n {
		d, sz, _, err := c.get(e.first(r))
		if err != nil {
			return [3]float64{}, err
		}
		ds, size = append(ds, ms(d)), max(size, sz)
	}
	sort.Float64s(ds)
	q := func(p float64) float64 { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return [3]float64{round1(q(0.5)), round1(q(0.99)), float64(size)}, nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func round1(x float64) float64 { return float64(int(x*10+0.5)) / 10 }
