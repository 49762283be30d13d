package faults

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// pollsToSuccess is the status poll of a key at which the target's job
// reports success; the polls before it report "running".
const pollsToSuccess = 5

// target is the far end of the pipelines' webhooks, on 127.0.0.1. It records
// the time of every call and every status poll by Idempotency-Key (which
// gennaker sets to EXECUTION/STAGE):
//
//	POST /fail    fails, always, in turn three ways (transient errors:
//	              retried): 500 at once; 503 after 300 ms; the connection
//	              dropped without an answer
//	POST /job     accepts a job: 202
//	GET  /status  {"status": "running"} until the key's 5th poll, then "success"
type target struct {
	URL string

	mu    sync.Mutex
	calls map[string][]time.Time // POST /fail and /job, by key
	polls map[string][]time.Time // GET /status, by key
	noKey []string               // requests without a key (method and path)
}

func startTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{calls: map[string][]time.Time{}, polls: map[string][]time.Time{}}
	srv := httptest.NewServer(tg) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	tg.URL = srv.URL
	return tg
}

func (tg *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	key := r.Header.Get("Idempotency-Key")
	tg.mu.Lock()
	if key == "" {
		tg.noKey = append(tg.noKey, r.Method+" "+r.URL.Path)
		tg.mu.Unlock()
		http.Error(w, "no Idempotency-Key header", http.StatusBadRequest)
		return
	}
	var n int
	switch r.URL.Path {
	case "/status":
		tg.polls[key] = append(tg.polls[key], now)
		n = len(tg.polls[key])
	default:
		tg.calls[key] = append(tg.calls[key], now)
		n = len(tg.calls[key])
	}
	tg.mu.Unlock()

	switch r.URL.Path {
	case "/fail":
		switch n % 3 {
		case 1:
			http.Error(w, "the target always fails", http.StatusInternalServerError)
		case 2:
			time.Sleep(300 * time.Millisecond) // slow, then fails
			http.Error(w, "the target is overloaded", http.StatusServiceUnavailable)
		default:
			dropConnection(w)
		}
	case "/job":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"accepted": true}`))
	case "/status":
		state := "running"
		if n >= pollsToSuccess {
			state = "success"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": state})
	default:
		http.NotFound(w, r)
	}
}

// dropConnection closes the request's connection without an answer, as a
// target that crashes mid-request does.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server drops the connection
	}
	conn.Close()
}

// targetRecord is a copy of what the target has seen.
type targetRecord struct {
	Calls, Polls map[string][]time.Time
	NoKey        []string
}

func (tg *target) record() targetRecord {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	rec := targetRecord{Calls: map[string][]time.Time{}, Polls: map[string][]time.Time{}, NoKey: slices.Clone(tg.noKey)}
	for k, v := range tg.calls {
		rec.Calls[k] = slices.Clone(v)
	}
	for k, v := range tg.polls {
		rec.Polls[k] = slices.Clone(v)
	}
	return rec
}

// minPollGap is the least time between two polls of one key that is not a
// duplicate poll (the pipelines poll every second).
const minPollGap = 500 * time.Millisecond

// pollProblem is a duplicate poll of one key: two polls closer than
// minPollGap, or a poll after the one that answered success (whose result
// the server then cannot have stored).
type pollProblem struct {
	Key    string
	Reason string
}

// pollProblems finds the duplicate polls of a key.
func pollProblems(key string, polls []time.Time) []pollProblem {
	var out []pollProblem
	for i := 1; i < len(polls); i++ {
		if gap := polls[i].Sub(polls[i-1]); gap < minPollGap {
			out = append(out, pollProblem{key, fmt.Sprintf("polls %d and %d only %s apart (want at least %s)", i, i+1, gap.Round(time.Millisecond), minPollGap)})
		}
	}
	if len(polls) > pollsToSuccess {
		out = append(out, pollProblem{key, fmt.Sprintf("%d polls; poll %d already answered success", len(polls), pollsToSuccess)})
	}
	return out
}

// offsets shows times relative to the first, e.g. "[0s 1.002s 3.01s]".
func offsets(ts []time.Time) string {
	if len(ts) == 0 {
		return "[]"
	}
	parts := make([]string, len(ts))
	for i, x := range ts {
		parts[i] = x.Sub(ts[0]).Round(time.Millisecond).String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// distribution shows how many keys had each count, e.g. "3 calls: 41 keys, 4 calls: 9 keys".
func distribution(counts map[string]int, unit string) string {
	byCount := map[int]int{}
	for _, n := range counts {
		byCount[n]++
	}
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(byCount)) {
		parts = append(parts, fmt.Sprintf("%d %s: %d keys", n, unit, byCount[n]))
	}
	if len(parts) == 0 {
		return "no keys"
	}
	return strings.Join(parts, ", ")
}
