package local

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Behaviour of the one request path that a user's service relies on beyond
// plain request and answer: trailers, streamed answers, timeouts, drains.

func TestFrontDoorRelaysTrailers(t *testing.T) {
	t.Parallel()
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "Grpc-Status, X-Checksum")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "part one,")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "part two")
		w.Header().Set("Grpc-Status", "0")
		w.Header().Set("X-Checksum", "abc123")
	}))
	defer inst.Close()
	_, m, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	resp, err := httpClient().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "part one,part two" {
		t.Fatalf("body %q, %v", body, err)
	}
	if got := resp.Trailer.Get("Grpc-Status"); got != "0" {
		t.Errorf("trailer Grpc-Status %q, want 0 (trailers %v)", got, resp.Trailer)
	}
	if got := resp.Trailer.Get("X-Checksum"); got != "abc123" {
		t.Errorf("trailer X-Checksum %q, want abc123 (trailers %v)", got, resp.Trailer)
	}
	waitCounted(t, m, 1)
}

// A server-sent-events stream reaches the client event by event, while the
// instance keeps the answer open.
func TestFrontDoorStreamsEventsAsTheyCome(t *testing.T) {
	t.Parallel()
	next := make(chan string)
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sendEvents(w, next) }))
	defer inst.Close()
	defer close(next)
	_, _, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	resp, err := httpClient().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	expectEvents(t, resp.Body, next, "one", "two", "three")
}

// sendEvents answers with a server-sent-events stream of what next gives,
// each event flushed, until next is closed.
func sendEvents(w http.ResponseWriter, next <-chan string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	for ev := range next {
		_, _ = io.WriteString(w, "data: "+ev+"\n\n")
		w.(http.Flusher).Flush()
	}
}

// expectEvents sends each event to the instance through next and waits for
// it to reach the client on body, while the stream stays open.
func expectEvents(t *testing.T, body io.Reader, next chan<- string, events ...string) {
	t.Helper()
	br := bufio.NewReader(body)
	for _, ev := range events {
		got := make(chan string, 1)
		go func() {
			line, _ := br.ReadString('\n')
			_, _ = br.ReadString('\n') // the blank line ending the event
			got <- line
		}()
		next <- ev
		select {
		case line := <-got:
			if line != "data: "+ev+"\n" {
				t.Fatalf("got %q, want event %s", line, ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %s did not reach the client while the stream stayed open", ev)
		}
	}
}

func TestFrontDoorAnswers504WhenTheInstanceStaysSilent(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-but-talking" {
			w.WriteHeader(http.StatusOK)
			for range 4 { // 4 x 100 ms: longer than the limit, never silent that long
				_, _ = io.WriteString(w, ".")
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
			return
		}
		<-release
	}))
	defer inst.Close()
	defer close(release)
	_, m, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"), func(door *frontDoor) { door.ups.readIdle = 300 * time.Millisecond })

	code, body := get(t, httpClient(), url+"/silent", nil)
	if code != http.StatusGatewayTimeout || !strings.Contains(body, "sent nothing for 300ms") {
		t.Fatalf("got %d %q, want 504 saying the instance sent nothing", code, body)
	}
	if code, body := get(t, httpClient(), url+"/slow-but-talking", nil); code != http.StatusOK || body != "...." {
		t.Fatalf("a slow answer that keeps sending: got %d %q", code, body)
	}
	waitCounted(t, m, 2)
	if c := m.snapshot(); c.Errors != 1 {
		t.Fatalf("counted %+v, want the 504 as the one error", c)
	}
}

// Closing a front door (a move, a removal, the process stopping) lets a
// request in flight finish.
func TestFrontDoorDrainsRequestsInFlight(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	}))
	defer inst.Close()
	door, _, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	go func() { <-arrived; door.close() }()
	code, body := get(t, httpClient(), url, nil)
	if code != http.StatusOK || body != "finished" {
		t.Fatalf("got %d %q, want the request in flight to finish", code, body)
	}
	if _, err := httpClient().Get(url); err == nil {
		t.Fatal("a closed front door still accepted a request")
	}
}

// waitCounted waits until m counted n requests: a streamed answer is counted
// when its body has been sent, just after the client has read it.
func waitCounted(t *testing.T, m *groupMetrics, n uint64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); m.snapshot().Requests < n && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if c := m.snapshot(); c.Requests != n {
		t.Fatalf("counted %d requests, want %d", c.Requests, n)
	}
}
