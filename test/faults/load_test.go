package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// load says how the clients use the API: each client repeats "think, then
// one request" until Duration has passed. A request is a start with
// probability StartShare while fewer than MaxStarts were sent; otherwise it
// is a read: list executions, get one execution, or list events.
type load struct {
	Clients    int
	Duration   time.Duration
	MaxStarts  int
	StartShare float64
	// Think is the range of the pause before each request.
	ThinkMin, ThinkMax time.Duration
	// Timeout bounds each request.
	Timeout time.Duration
	Seed    uint64
}

// opKind is what a load request does.
type opKind int

const (
	opStart  opKind = iota // POST /api/v1/pipelines/NAME/executions
	opList                 // GET /api/v1/executions
	opGet                  // GET /api/v1/executions/ID
	opEvents               // GET /api/v1/events
)

// startWeights is how often each pipeline is started.
var startWeights = []struct {
	pipeline string
	weight   int
}{{pipelineChain, 2}, {pipelineRetried, 1}, {pipelinePolled, 1}}

// sample is one load request as the client saw it.
type sample struct {
	Op     opKind
	At     time.Time
	Took   time.Duration
	Status int    // 0: no answer
	Failed string // why it failed ("" if answered 2xx): "HTTP 503", "timeout", ...
}

// loadResult is what a load run did.
type loadResult struct {
	Began   time.Time
	Samples []sample
	// Started are the IDs of the executions whose start was answered.
	Started []string
}

// runLoad runs l against the rig's server and returns every request.
func (r *rig) runLoad(ctx context.Context, l load) loadResult {
	tr := &http.Transport{MaxIdleConns: l.Clients, MaxIdleConnsPerHost: l.Clients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: l.Timeout}
	res := loadResult{Began: time.Now()}
	end := res.Began.Add(l.Duration)
	var (
		mu      sync.Mutex
		starts  atomic.Int64
		wg      sync.WaitGroup
		started []string
	)
	record := func(s sample, id string) {
		mu.Lock()
		defer mu.Unlock()
		res.Samples = append(res.Samples, s)
		if id != "" {
			started = append(started, id)
		}
	}
	someID := func(rng *rand.Rand) string {
		mu.Lock()
		defer mu.Unlock()
		if len(started) == 0 {
			return ""
		}
		return started[rng.IntN(len(started))]
	}
	totalWeight := 0
	for _, w := range startWeights {
		totalWeight += w.weight
	}
	for c := range l.Clients {
		rng := rand.New(rand.NewPCG(l.Seed, uint64(c)))
		wg.Go(func() {
			for {
				think := l.ThinkMin + time.Duration(rng.Int64N(int64(l.ThinkMax-l.ThinkMin)+1))
				if time.Now().Add(think).After(end) {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(think): // pacing the load
				}
				op := opKind(1 + rng.IntN(3))
				if rng.Float64() < l.StartShare && starts.Add(1) <= int64(l.MaxStarts) {
					op = opStart
				}
				var method, path string
				var body []byte
				switch op {
				case opStart:
					n := rng.IntN(totalWeight)
					pipeline := startWeights[0].pipeline
					for _, w := range startWeights {
						if n < w.weight {
							pipeline = w.pipeline
							break
						}
						n -= w.weight
					}
					method, path, body = http.MethodPost, "/api/v1/pipelines/"+pipeline+"/executions", []byte("{}")
				case opGet:
					if id := someID(rng); id != "" {
						method, path = http.MethodGet, "/api/v1/executions/"+url.PathEscape(id)
						break
					}
					op = opList
					fallthrough
				case opList:
					method, path = http.MethodGet, "/api/v1/executions?limit=20"
				case opEvents:
					method, path = http.MethodGet, "/api/v1/events?limit=50"
				}
				s, answer := r.send(ctx, hc, method, path, body)
				s.Op = op
				id := ""
				if op == opStart && s.Failed == "" {
					var e model.Execution
					if err := json.Unmarshal(answer, &e); err == nil {
						id = e.ID
					}
				}
				record(s, id)
			}
		})
	}
	wg.Wait()
	res.Started = started
	return res
}

// send makes one request with the admin's token and times it.
func (r *rig) send(ctx context.Context, hc *http.Client, method, path string, body []byte) (sample, []byte) {
	s := sample{At: time.Now()}
	req, err := http.NewRequestWithContext(ctx, method, r.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		s.Failed = err.Error()
		return s, nil
	}
	req.Header.Set("Authorization", "Bearer "+r.srv.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	var answer []byte
	if err == nil {
		answer, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		s.Status = resp.StatusCode
	}
	s.Took = time.Since(s.At)
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		s.Failed = "timeout"
	case err != nil:
		s.Failed = "no answer: " + err.Error()
	case s.Status/100 != 2:
		s.Failed = fmt.Sprintf("HTTP %d", s.Status)
	}
	return s, answer
}

// loadStats are the figures of a load run.
type loadStats struct {
	Starts, StartsFailed int
	// StartFailures counts failed starts by why ("HTTP 500", "timeout").
	StartFailures                map[string]int
	StartP50, StartP99, StartMax time.Duration
	Reads, ReadsFailed           int
	ReadFailures                 map[string]int
	ReadP50, ReadP99, ReadMax    time.Duration
	RequestsPerSecond            float64
}

func (res loadResult) stats() loadStats {
	st := loadStats{StartFailures: map[string]int{}, ReadFailures: map[string]int{}}
	var starts, reads []time.Duration
	var last time.Time
	for _, s := range res.Samples {
		if end := s.At.Add(s.Took); end.After(last) {
			last = end
		}
		if s.Op == opStart {
			st.Starts++
			starts = append(starts, s.Took)
			if s.Failed != "" {
				st.StartsFailed++
				st.StartFailures[s.Failed]++
			}
			continue
		}
		st.Reads++
		reads = append(reads, s.Took)
		if s.Failed != "" {
			st.ReadsFailed++
			st.ReadFailures[s.Failed]++
		}
	}
	st.StartP50, st.StartP99, st.StartMax = percentile(starts, 50), percentile(starts, 99), percentile(starts, 100)
	st.ReadP50, st.ReadP99, st.ReadMax = percentile(reads, 50), percentile(reads, 99), percentile(reads, 100)
	if span := last.Sub(res.Began).Seconds(); span > 0 {
		st.RequestsPerSecond = float64(len(res.Samples)) / span
	}
	return st
}

// percentile is the p-th percentile (nearest rank) of ds; 0 when empty.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(rank, len(s)-1))]
}

// counts shows a map of counts as "HTTP 500: 3, timeout: 2".
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
