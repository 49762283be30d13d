package local

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// doorTo is a front door routing all traffic to one backend at host.
func doorTo(t *testing.T, host string, before ...func(*frontDoor)) (*frontDoor, *groupMetrics, string) {
	t.Helper()
	door := newFrontDoor("checkout", "test", slog.New(slog.DiscardHandler))
	for _, f := range before { // before it serves: settings its requests read
		f(door)
	}
	t.Cleanup(door.close)
	ep := &endpoints{}
	ep.set([]*backend{{host: host}})
	m := newGroupMetrics()
	door.table.Store(newRouteTable([]*route{{name: "checkout-v001", weight: 100, ep: ep, m: m}}, nil, "", nil))
	door.mu.Lock()
	err := door.listenLocked("127.0.0.1:0")
	door.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return door, m, "http://" + door.bound
}

func TestFrontDoorFiltersHopByHopHeadersAndAppendsForwardedFor(t *testing.T) {
	t.Parallel()
	seen := make(chan http.Header, 1)
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		seen <- h
		w.Header().Set("Connection", "X-Secret")
		w.Header().Set("X-Secret", "instance-only")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Answer", "42")
		_, _ = io.WriteString(w, "hello")
	}))
	defer inst.Close()
	_, m, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))

	req, _ := http.NewRequest(http.MethodGet, url+"/path?q=1", nil)
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "drop me")
	req.Header.Set("Proxy-Authorization", "Basic c2VjcmV0")
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	req.Header.Set("X-Keep", "kept")
	resp, err := httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := <-seen

	for _, k := range []string{"X-Hop", "Proxy-Authorization", "Connection"} {
		if v := got.Get(k); v != "" {
			t.Errorf("instance got hop-by-hop header %s: %q", k, v)
		}
	}
	if v := got.Get("X-Keep"); v != "kept" {
		t.Errorf("instance got X-Keep %q, want kept", v)
	}
	if v := got.Get("X-Forwarded-For"); v != "10.0.0.1, 127.0.0.1" {
		t.Errorf("instance got X-Forwarded-For %q, want the client appended", v)
	}
	if v := got.Get("Host"); v != strings.TrimPrefix(url, "http://") {
		t.Errorf("instance got Host %q, want the front door's", v)
	}
	if resp.StatusCode != 200 || string(body) != "hello" || resp.Header.Get("X-Answer") != "42" {
		t.Errorf("client got %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp.Header.Get("X-Secret") != "" || resp.Header.Get("Keep-Alive") != "" {
		t.Errorf("client got the instance's hop-by-hop headers: %v", resp.Header)
	}
	if c := m.snapshot(); c.Requests != 1 || c.Errors != 0 {
		t.Errorf("counted %+v", c)
	}
}

func TestFrontDoorStreamsRequestBodies(t *testing.T) {
	t.Parallel()
	firstPart := make(chan string, 1)
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			t.Errorf("instance: %v", err)
			return
		}
		firstPart <- string(buf)
		rest, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, string(buf)+string(rest))
	}))
	defer inst.Close()
	_, _, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))

	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "part1")
		select { // the second part only after the instance has the first
		case <-firstPart:
			_, _ = io.WriteString(pw, "+part2")
			pw.Close()
		case <-time.After(5 * time.Second):
			pw.CloseWithError(io.ErrUnexpectedEOF)
		}
	}()
	resp, err := httpClient().Post(url, "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "part1+part2" {
		t.Fatalf("got %d %q: the body was not streamed", resp.StatusCode, body)
	}
}

func TestFrontDoorAnswers502WhenTheInstanceIsGone(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	ln.Close()
	_, m, url := doorTo(t, host)
	code, body := get(t, httpClient(), url, nil)
	if code != http.StatusBadGateway || !strings.Contains(body, host) {
		t.Fatalf("got %d %q, want 502 naming the instance", code, body)
	}
	if c := m.snapshot(); c.Requests != 1 || c.Errors != 1 {
		t.Fatalf("counted %+v, want one 5xx", c)
	}
}

func TestFrontDoorRetriesAConnectionTheInstanceClosed(t *testing.T) {
	t.Parallel()
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	defer inst.Close()
	_, m, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	c := httpClient()
	for i := range 3 {
		if code, body := get(t, c, url, nil); code != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
		inst.CloseClientConnections() // the pooled connection is now dead
		time.Sleep(20 * time.Millisecond)
	}
	if c := m.snapshot(); c.Errors != 0 {
		t.Fatalf("counted %d errors", c.Errors)
	}
}

func TestFrontDoorProxiesUpgrades(t *testing.T) {
	t.Parallel()
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "want Upgrade: echo", http.StatusBadRequest)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		_ = brw.Flush()
		buf := make([]byte, 4)
		if _, err := io.ReadFull(brw, buf); err == nil {
			_, _ = c.Write(buf)
		}
	}))
	defer inst.Close()
	_, m, url := doorTo(t, strings.TrimPrefix(inst.URL, "http://"))
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: front\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("got %v, %v; want 101", resp, err)
	}
	_, _ = io.WriteString(c, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
	c.Close() // the upgrade is counted when it ends
	for deadline := time.Now().Add(5 * time.Second); m.snapshot().Requests == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if s := m.snapshot(); s.Requests != 1 || s.Errors != 0 {
		t.Errorf("counted %+v", s)
	}
}
