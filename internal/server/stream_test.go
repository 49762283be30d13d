package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
)

// streamLine is one update of /api/v1/stream: its SSE id and data.
type streamLine struct {
	id   int64
	data string
}

// readStream reads /api/v1/stream (resuming after lastID when not 0) until
// stop says so or 20 s pass, and returns its updates; connected, when not
// nil, is closed once the server says the stream is subscribed.
func readStream(ctx context.Context, c *client.Client, lastID int64, connected chan struct{}, stop func(streamLine) bool) ([]streamLine, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/api/v1/stream", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if lastID != 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/stream: %s", resp.Status)
	}
	var out []streamLine
	var cur streamLine
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == ": connected" && connected != nil:
			close(connected)
		case strings.HasPrefix(line, "id: "):
			cur.id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		case line == "" && cur.data != "":
			out = append(out, cur)
			if stop(cur) {
				return out, nil
			}
			cur = streamLine{}
		}
	}
	return out, fmt.Errorf("the stream ended (%v) before the update the test waits for; got %d updates: %v", sc.Err(), len(out), out)
}

// A stream that reconnects with Last-Event-ID gets every change it missed,
// in commit order, then carries on live: the outbox, not the in-process
// bus, is what streams read.
func TestStreamResumesFromLastEventID(t *testing.T) {
	c := startServer(t)
	ctx := t.Context()
	pl := model.Pipeline{Name: "hop", Application: "svc", Stages: []model.StageSpec{
		{Name: "one", Noop: &model.NoopStage{}}, {Name: "two", Needs: []string{"one"}, Noop: &model.NoopStage{}},
	}}
	if _, err := c.Apply(ctx, model.Config{
		Applications: []model.Application{{Name: "svc", Instances: 1, Run: model.RunSpec{Command: "./svc"}}},
		Pipelines:    []model.Pipeline{pl},
	}); err != nil {
		t.Fatal(err)
	}
	finished := func(id string) func(streamLine) bool {
		return func(l streamLine) bool {
			return strings.Contains(l.data, `"executionId":"`+id+`"`) && strings.Contains(l.data, `"status":"succeeded"`) && !strings.Contains(l.data, `"stage"`)
		}
	}
	// First connection: the first execution's updates, live.
	type result struct {
		lines []streamLine
		err   error
	}
	first := make(chan result, 1)
	started := make(chan string, 1)
	connected := make(chan struct{})
	go func() {
		var id string
		lines, err := readStream(ctx, c, 0, connected, func(l streamLine) bool {
			if id == "" {
				id = <-started
			}
			return finished(id)(l)
		})
		first <- result{lines, err}
	}()
	select {
	case <-connected:
	case r := <-first:
		t.Fatalf("the stream did not connect: %v", r.err)
	}
	e1, err := c.Run(ctx, "hop", client.RunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	started <- e1.ID
	r := <-first
	if r.err != nil {
		t.Fatal(r.err)
	}
	last := r.lines[len(r.lines)-1].id
	if last == 0 {
		t.Fatalf("updates carry no SSE id: %+v", r.lines)
	}
	// Disconnected: a second execution runs to its end.
	e2, err := c.Run(ctx, "hop", client.RunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Watch(ctx, e2.ID, func(*model.Execution) {}); err != nil {
		t.Fatal(err)
	}
	// Reconnect: every change since, with nothing skipped (one application,
	// so the ids run on without a gap), none of e1's again, e2's to its end.
	missed, err := readStream(ctx, c, last, nil, finished(e2.ID))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range missed {
		if want := last + 1 + int64(i); l.id != want {
			t.Fatalf("resumed update %d has id %d, want %d: a resumed stream sends every change after Last-Event-ID, in order: %v", i, l.id, want, missed)
		}
		if !strings.Contains(l.data, e2.ID) {
			t.Errorf("a resumed stream sent an update of another execution than the one that ran while it was away: %s", l.data)
		}
	}
	if len(missed) < 2 {
		t.Errorf("the resumed stream sent %d updates of the missed execution, want its start and its end: %v", len(missed), missed)
	}
}

// A Last-Event-ID this server never gave (a restored backup) is answered
// with a "reset" event, not with silence until the outbox catches up.
func TestStreamResetsAnUnknownLastEventID(t *testing.T) {
	c := startServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/api/v1/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Last-Event-ID", "999999")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if sc.Text() == "event: reset" {
			return
		}
		if len(lines) > 5 {
			break
		}
	}
	t.Fatalf("a stream resumed from an unknown id sent %q, want an \"event: reset\" first", lines)
}
