package deploy

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

// frontDoorClient opens a new connection per request, so a restarted front
// door is seen at once.
var frontDoorClient = &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// get sends one request through the front door: status and "version=vN" (or an error).
func get(frontDoor string) (int, string, error) {
	resp, err := frontDoorClient.Get("http://" + frontDoor + "/")
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	version := ""
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, "version="); ok {
			version = v
		}
	}
	return resp.StatusCode, version, nil
}

// versions sends n requests and counts the versions that answered 2xx.
func versions(t *testing.T, frontDoor string, n int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for range n {
		code, v, err := get(frontDoor)
		switch {
		case err != nil:
			out["error"]++
		case code/100 != 2:
			out["status "+itoa(code)]++
		default:
			out[v]++
		}
	}
	return out
}

// traffic sends requests through a front door until stopped and counts the answers.
type traffic struct {
	frontDoor string
	mu        sync.Mutex
	ok        int
	byStatus  map[int]int
	byVersion map[string]int
	errs      int
	firstErr  string
	lastOK    time.Time
	maxGap    time.Duration // longest time between two 2xx answers
	stop      context.CancelFunc
	done      chan struct{}
}

// startTraffic sends about rate requests per second from two workers.
func startTraffic(t *testing.T, frontDoor string, rate int) *traffic {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &traffic{frontDoor: frontDoor, byStatus: map[int]int{}, byVersion: map[string]int{}, stop: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	const workers = 2
	every := time.Duration(workers) * time.Second / time.Duration(rate)
	for range workers {
		wg.Go(func() {
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				code, v, err := get(frontDoor)
				tr.mu.Lock()
				switch {
				case err != nil:
					tr.errs++
					if tr.firstErr == "" {
						tr.firstErr = err.Error()
					}
				default:
					tr.byStatus[code]++
					if code/100 == 2 {
						tr.ok++
						tr.byVersion[v]++
						now := time.Now()
						if !tr.lastOK.IsZero() && now.Sub(tr.lastOK) > tr.maxGap {
							tr.maxGap = now.Sub(tr.lastOK)
						}
						tr.lastOK = now
					}
				}
				tr.mu.Unlock()
			}
		})
	}
	go func() { wg.Wait(); close(tr.done) }()
	t.Cleanup(tr.halt)
	return tr
}

func (tr *traffic) halt() {
	tr.stop()
	<-tr.done
}

// snapshot returns the counts so far.
func (tr *traffic) snapshot() (ok, errs int, byStatus map[int]int, byVersion map[string]int, firstErr string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	byStatus, byVersion = map[int]int{}, map[string]int{}
	for k, v := range tr.byStatus {
		byStatus[k] = v
	}
	for k, v := range tr.byVersion {
		byVersion[k] = v
	}
	return tr.ok, tr.errs, byStatus, byVersion, tr.firstErr
}

// longestGap is the longest time the front door gave no 2xx answer.
func (tr *traffic) longestGap() time.Duration {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.maxGap
}

// waitServes waits until the front door answers version v (2xx), returning how long it took.
func waitServes(t *testing.T, frontDoor, v string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		code, got, err := get(frontDoor)
		if err == nil && code/100 == 2 && (v == "" || got == v) {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the front door %s did not answer %q with 2xx within %s", frontDoor, v, within)
	return 0
}
