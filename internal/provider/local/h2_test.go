package local

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// h2Client speaks HTTP/2 in cleartext with prior knowledge (h2c), as gRPC's
// plaintext clients and curl --http2-prior-knowledge do.
func h2Client() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Proxy: nil, Protocols: &p}}
}

func TestFrontDoorServesHTTP2WithPriorKnowledge(t *testing.T) {
	t.Parallel()
	seen := make(chan *http.Request, 4)
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bare" { // no Content-Type: none is made up on the way
			w.Header()["Content-Type"] = nil
			_, _ = io.WriteString(w, "\x00\x01")
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Header.Set("X-Body", string(body))
		seen <- r
		w.Header().Set("X-Instance", "one")
		w.Header().Set("Connection", "X-Instance-Only")
		w.Header().Set("X-Instance-Only", "secret")
		_, _ = io.WriteString(w, "hello "+r.URL.RequestURI())
	}))
	defer inst.Close()
	_, m, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	c := h2Client()

	req, _ := http.NewRequest(http.MethodGet, url+"/a/b?q=1", nil)
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	req.AddCookie(&http.Cookie{Name: "a", Value: "1"})
	req.AddCookie(&http.Cookie{Name: "b", Value: "2"})
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(body) != "hello /a/b?q=1" {
		t.Fatalf("got %s %d %q, want HTTP/2 200 from the instance", resp.Proto, resp.StatusCode, body)
	}
	if resp.Header.Get("X-Instance") != "one" || resp.Header.Get("X-Instance-Only") != "" {
		t.Fatalf("answer's head %v: want the instance's headers less those its Connection names", resp.Header)
	}
	r := <-seen
	if r.ProtoMajor != 1 || r.Host != strings.TrimPrefix(url, "http://") {
		t.Errorf("instance got %s for host %q, want HTTP/1.1 for %q", r.Proto, r.Host, strings.TrimPrefix(url, "http://"))
	}
	if got := r.Header.Get("X-Forwarded-For"); got != "10.0.0.1, 127.0.0.1" {
		t.Errorf("X-Forwarded-For %q, want the client's appended", got)
	}
	if got := r.Header.Get("X-Forwarded-Proto"); got != "http" {
		t.Errorf("X-Forwarded-Proto %q", got)
	}
	if got := r.Header.Get("Cookie"); got != "a=1; b=2" {
		t.Errorf("Cookie %q, want the cookies joined as HTTP/1.1 has them", got)
	}

	resp, err = c.Get(url + "/bare")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Values("Content-Type"); len(ct) > 0 {
		t.Errorf("an answer without Content-Type got Content-Type %q (head %v)", ct, resp.Header)
	}

	// A body, streamed from the client: the instance gets all of it.
	pr, pw := io.Pipe()
	go func() {
		for i := range 3 {
			_, _ = io.WriteString(pw, "part"+itoa(i)+";")
			time.Sleep(10 * time.Millisecond)
		}
		pw.Close()
	}()
	resp, err = c.Post(url+"/upload", "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := <-seen; r.Method != http.MethodPost || r.Header.Get("X-Body") != "part0;part1;part2;" {
		t.Errorf("instance got %s with body %q", r.Method, r.Header.Get("X-Body"))
	}
	waitCounted(t, m, 3)

	// HTTP/1.1 on the same port is untouched.
	if code, body := get(t, httpClient(), url+"/h1", nil); code != 200 || body != "hello /h1" {
		t.Fatalf("HTTP/1.1 on the same port: %d %q", code, body)
	}
}

func TestFrontDoorHTTP2RelaysTrailersAndStreams(t *testing.T) {
	t.Parallel()
	next := make(chan string)
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/events" {
			sendEvents(w, next)
			return
		}
		w.Header().Set("Trailer", "Grpc-Status")
		_, _ = io.WriteString(w, "part one,")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "part two")
		w.Header().Set("Grpc-Status", "0")
	}))
	defer inst.Close()
	defer close(next)
	_, _, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	c := h2Client()

	resp, err := c.Get(url + "/trailers")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "part one,part two" || resp.ProtoMajor != 2 {
		t.Fatalf("got %s %q, %v", resp.Proto, body, err)
	}
	if got := resp.Trailer.Get("Grpc-Status"); got != "0" {
		t.Errorf("trailer Grpc-Status %q, want 0 (trailers %v)", got, resp.Trailer)
	}

	resp, err = c.Get(url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	expectEvents(t, resp.Body, next, "one", "two")
}

// Closing the front door lets an HTTP/2 stream in flight finish (GOAWAY,
// not a reset), even on a connection older than fasthttp's 5 s idle mark.
func TestFrontDoorDrainsHTTP2StreamsInFlight(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			arrived <- struct{}{}
			time.Sleep(300 * time.Millisecond)
		}
		_, _ = io.WriteString(w, "finished")
	}))
	defer inst.Close()
	door, _, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	c := h2Client()
	if code, body := get(t, c, url+"/first", nil); code != 200 || body != "finished" {
		t.Fatalf("%d %q", code, body)
	}
	time.Sleep(6 * time.Second) // the connection is now "idle" to fasthttp
	go func() { <-arrived; door.close() }()
	if code, body := get(t, c, url+"/slow", nil); code != http.StatusOK || body != "finished" {
		t.Fatalf("got %d %q, want the HTTP/2 stream in flight to finish", code, body)
	}
}

// A request that starts like the HTTP/2 preface but is not it is answered
// as HTTP/1.1.
func TestFrontDoorPrefaceLookalikeIsHTTP1(t *testing.T) {
	t.Parallel()
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer inst.Close()
	_, _, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(conn, "PRI * HTTP/1.1\r\nHost: x\r\n\r\n")
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 ") {
		t.Fatalf("got %q, %v: want an HTTP/1.1 answer", line, err)
	}
}

// A request head past the limit (4 KiB over HTTP/1.1, 8 KiB over HTTP/2)
// is refused with 431 before it reaches an instance.
func TestFrontDoorRefusesLongHeads(t *testing.T) {
	t.Parallel()
	reached := make(chan struct{}, 4)
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached <- struct{}{} }))
	defer inst.Close()
	_, _, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	for _, tc := range []struct {
		name string
		c    *http.Client
		size int
	}{{"HTTP/1.1", httpClient(), 5 << 10}, {"HTTP/2", h2Client(), 10 << 10}} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for i := range tc.size / 100 { // many fields: one past HPACK's string limit closes an HTTP/2 connection instead
			req.Header.Set("X-Big-"+itoa(i), strings.Repeat("a", 90))
		}
		resp, err := tc.c.Do(req)
		if err != nil && strings.Contains(err.Error(), "larger than peer's advertised limit") {
			continue // the client had the door's SETTINGS already, and kept the head to itself
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: a %d-byte head got %d, want 431", tc.name, tc.size, resp.StatusCode)
		}
	}
	select {
	case <-reached:
		t.Fatal("a head past the limit reached the instance")
	default:
	}
}
