package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// traffic sends real HTTP requests to the front door at a steady rate and
// counts answers per version (the sample service names its version).
type traffic struct {
	url  string
	rate int

	mu       sync.Mutex
	byVer    map[string]int
	errors   int
	total    int
	lastSeen time.Time
}

func newTraffic(url string, rate int) *traffic {
	return &traffic{url: url, rate: rate, byVer: map[string]int{}}
}

// run sends requests until ctx ends.
func (t *traffic) run(ctx context.Context) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	tick := time.NewTicker(time.Second / time.Duration(t.rate))
	defer tick.Stop()
	sem := make(chan struct{}, 32)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			continue // all 32 in flight: the service is slow; skip a beat
		}
		go func() {
			defer func() { <-sem }()
			t.one(ctx, client)
		}()
	}
}

func (t *traffic) one(ctx context.Context, client *http.Client) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	resp, err := client.Do(req)
	version := "none"
	failed := true
	if err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		failed = resp.StatusCode >= 500
		version = versionOf(string(b))
	}
	if ctx.Err() != nil {
		return
	}
	t.mu.Lock()
	t.total++
	if failed {
		t.errors++
	}
	if version != "" {
		t.byVer[version]++
	}
	t.mu.Unlock()
}

// versionOf reads "version=v2" from the sample service's answer.
func versionOf(body string) string {
	for _, f := range strings.Fields(body) {
		if v, ok := strings.CutPrefix(f, "version="); ok {
			return strings.Trim(v, ",;")
		}
	}
	return ""
}

// take returns and resets the counts since the last call, as a readable split.
func (t *traffic) take() (string, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.total == 0 {
		return "no requests answered", 0
	}
	vers := make([]string, 0, len(t.byVer))
	for v := range t.byVer {
		vers = append(vers, v)
	}
	sort.Strings(vers)
	parts := make([]string, 0, len(vers))
	for _, v := range vers {
		parts = append(parts, fmt.Sprintf("%s %d%%", v, 100*t.byVer[v]/t.total))
	}
	s := fmt.Sprintf("%s  (%d requests, %.1f%% 5xx)", strings.Join(parts, " | "), t.total, 100*float64(t.errors)/float64(t.total))
	n := t.total
	t.byVer, t.errors, t.total = map[string]int{}, 0, 0
	return s, n
}
