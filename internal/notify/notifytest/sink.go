// Package notifytest has real receivers for notification tests: an HTTP
// sink that counts deliveries by ID (failing, holding or checking
// signatures as told) and an SMTP server on 127.0.0.1.
package notifytest

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Request is one request the sink received.
type Request struct {
	Delivery string
	Header   http.Header
	Body     []byte
}

// Sink is an HTTP server on 127.0.0.1 that records every request and
// counts them by their X-Gennaker-Delivery header.
type Sink struct {
	URL string

	mu       sync.Mutex
	requests []Request
	failN    int // answer 500 to the next failN requests
	status   int // answer this to every request when set
	hold     chan struct{}
	held     chan string
	check    func(r *http.Request, body []byte) bool
	srv      *http.Server
}

// NewSink starts a sink, closed when the test ends.
func NewSink(t testing.TB) *Sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Sink{URL: "http://" + ln.Addr().String() + "/hook", held: make(chan string, 100)}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { s.Release(); _ = s.srv.Close() })
	return s
}

// FailNext makes the next n requests answer 500 (recorded all the same).
func (s *Sink) FailNext(n int) { s.mu.Lock(); s.failN = n; s.mu.Unlock() }

// AnswerAlways makes every request answer status (0: back to 204).
func (s *Sink) AnswerAlways(status int) { s.mu.Lock(); s.status = status; s.mu.Unlock() }

// Check makes the sink answer 401 to requests check refuses (a bad signature).
func (s *Sink) Check(check func(r *http.Request, body []byte) bool) {
	s.mu.Lock()
	s.check = check
	s.mu.Unlock()
}

// Hold makes requests wait, after they are recorded, until Release; the
// delivery ID of each request held is sent on Held.
func (s *Sink) Hold() { s.mu.Lock(); s.hold = make(chan struct{}); s.mu.Unlock() }

// Held receives the delivery ID of each request the sink holds.
func (s *Sink) Held() <-chan string { return s.held }

// Release lets held requests answer.
func (s *Sink) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
}

// ServeHTTP implements http.Handler.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	id := r.Header.Get("X-Gennaker-Delivery")
	s.mu.Lock()
	s.requests = append(s.requests, Request{Delivery: id, Header: r.Header.Clone(), Body: body})
	hold, check, status := s.hold, s.check, s.status
	fail := s.failN > 0
	if fail {
		s.failN--
	}
	s.mu.Unlock()
	if hold != nil {
		s.held <- id
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case check != nil && !check(r, body):
		http.Error(w, "bad signature", http.StatusUnauthorized)
	case fail:
		http.Error(w, "try again", http.StatusInternalServerError)
	case status != 0:
		http.Error(w, http.StatusText(status), status)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// Requests returns every request received so far.
func (s *Sink) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Counts returns how many requests carried each delivery ID.
func (s *Sink) Counts() map[string]int {
	out := map[string]int{}
	for _, r := range s.Requests() {
		out[r.Delivery]++
	}
	return out
}
