// Package webhookrecv is the far end of the webhook stages the crash and
// HA suites run: it records every call by its Idempotency-Key.
package webhookrecv

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Receiver is the far end of every webhook: it records each call by its
// Idempotency-Key and performs the "side effect" only the first time it sees
// a key, as a well-behaved receiver would.
type Receiver struct {
	mu       sync.Mutex
	calls    map[string][]Call // POST/PUT calls by key
	effects  map[string]int    // side effects performed by key (must stay 1)
	polls    map[string]int    // status polls by key
	inflight int
	noKey    int // calls without an Idempotency-Key header
}

// Call is one webhook request as the receiver saw it.
type Call struct {
	Path       string
	Start, End time.Time
}

// New returns a receiver that has seen no call.
func New() *Receiver {
	return &Receiver{calls: map[string][]Call{}, effects: map[string]int{}, polls: map[string]int{}}
}

// ServeHTTP answers a call: POST or PUT to any path but /status is the
// call (on /hook/slow after 300 ms), GET /status reports "running", then
// "done" from the second poll of a key on.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		rc.mu.Lock()
		rc.noKey++
		rc.mu.Unlock()
		http.Error(w, "no Idempotency-Key", http.StatusBadRequest)
		return
	}
	if r.URL.Path == "/status" {
		rc.mu.Lock()
		rc.polls[key]++
		n := rc.polls[key]
		rc.mu.Unlock()
		state := "running"
		if n >= 2 {
			state = "done"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"result": map[string]string{"state": state}})
		return
	}
	start := time.Now()
	rc.mu.Lock()
	rc.inflight++
	rc.mu.Unlock()
	if r.URL.Path == "/hook/slow" {
		time.Sleep(300 * time.Millisecond) // long enough for kills to land inside the call
	}
	rc.mu.Lock()
	rc.inflight--
	rc.calls[key] = append(rc.calls[key], Call{Path: r.URL.Path, Start: start, End: time.Now()})
	if len(rc.calls[key]) == 1 {
		rc.effects[key]++ // the side effect: once per key
	}
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok": true}`))
}

// InFlight reports how many webhook calls are being served right now.
func (rc *Receiver) InFlight() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.inflight
}

// Report is what the receiver has seen so far.
type Report struct {
	Calls   map[string][]Call
	Effects map[string]int
	Polls   map[string]int
	NoKey   int
}

// Report copies what the receiver has seen so far.
func (rc *Receiver) Report() Report {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := Report{Calls: map[string][]Call{}, Effects: map[string]int{}, Polls: map[string]int{}, NoKey: rc.noKey}
	for k, v := range rc.calls {
		out.Calls[k] = append([]Call(nil), v...)
	}
	for k, v := range rc.effects {
		out.Effects[k] = v
	}
	for k, v := range rc.polls {
		out.Polls[k] = v
	}
	return out
}
