package ha

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// follower keeps a live view (GET /api/v1/stream, server-sent events) of
// one replica open, as the UI does: when the stream breaks (the replica was
// killed) it connects again, to the same replica once it is back, with
// Last-Event-ID set to the last change it got.
type follower struct {
	name, url, token string

	mu         sync.Mutex
	ids        []int64 // the change IDs received, in order
	connects   int
	resets     int
	lastErr    error
	disordered []string
}

func newFollower(name, base, token string, after int64) *follower {
	f := &follower{name: name, url: base + "/api/v1/stream", token: token}
	if after > 0 {
		f.ids = []int64{after} // the cursor to resume from, not a change received
	}
	return f
}

// last is the ID of the last change received (or the starting cursor).
func (f *follower) last() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ids) == 0 {
		return 0
	}
	return f.ids[len(f.ids)-1]
}

// run follows the stream until ctx ends. ready is closed once the first
// connection is open.
func (f *follower) run(ctx context.Context, ready chan<- struct{}) {
	hc := &http.Client{}
	once := sync.OnceFunc(func() { close(ready) })
	for ctx.Err() == nil {
		err := f.follow(ctx, hc, once)
		f.mu.Lock()
		f.lastErr = err
		f.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// follow reads one connection of the stream until it breaks.
func (f *follower) follow(ctx context.Context, hc *http.Client, connected func()) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Accept", "text/event-stream")
	if last := f.last(); last > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(last, 10))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", f.url, resp.Status)
	}
	f.mu.Lock()
	f.connects++
	f.mu.Unlock()
	connected()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var id int64
	var event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			f.dispatch(event, id)
			id, event = 0, ""
		case strings.HasPrefix(line, "id: "):
			id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%s: the stream ended", f.url)
}

// dispatch records one event.
func (f *follower) dispatch(event string, id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch event {
	case "reset":
		f.resets++
	case "update":
		if n := len(f.ids); n > 0 && id <= f.ids[n-1] {
			f.disordered = append(f.disordered, fmt.Sprintf("%d after %d", id, f.ids[n-1]))
		}
		f.ids = append(f.ids, id)
	}
}

// received returns the change IDs received (without the starting cursor).
func (f *follower) received(after int64) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int64
	for _, id := range f.ids {
		if id > after {
			out = append(out, id)
		}
	}
	return out
}
