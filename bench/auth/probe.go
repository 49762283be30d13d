package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

// A probe is one kind of cheap request, sent with or without a credential.
type probe struct {
	name string
	what string
	path string
	// header adds the probe's credential, if any.
	header func(h http.Header)
}

// probes lists what is timed. The first is the baseline every other one
// is compared with: same server, same middleware (Host check, cross-origin
// check, Authenticate, mux), no credential, so Authenticate returns at once.
func probes(token, session string) []probe {
	bearer := func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
	cookie := func(h http.Header) { h.Set("Cookie", sessionCookie+"="+session) }
	none := func(http.Header) {}
	return []probe{
		{"healthz", "GET /healthz, no credential (baseline)", "/healthz", none},
		{"healthz+token", "GET /healthz with a bearer token: Authenticate alone (token by ID from SQLite, SHA-256, constant-time compare); the public route ignores the principal", "/healthz", bearer},
		{"whoami+token", "GET /api/v1/whoami with a bearer token: Authenticate, the logged-in rule, a handler that writes the principal", "/api/v1/whoami", bearer},
		{"app+token", "GET /api/v1/applications/b with a bearer token: Authenticate, the policy snapshot and the application's rule, a handler that reads the application from SQLite", "/api/v1/applications/" + harness.EngineApp, bearer},
		{"pipeline+token", "GET /api/v1/pipelines/noop5 with a bearer token: Authenticate, the pipeline's rule (the pipeline read from SQLite, the policy snapshot), a handler that reads the pipeline again: the rule the engine's start requests pass", "/api/v1/pipelines/" + harness.EnginePipeline, bearer},
		{"healthz+session", "GET /healthz with a session cookie: Authenticate's session path (SHA-256 of the cookie, the session and its token from SQLite)", "/healthz", cookie},
		{"whoami+session", "GET /api/v1/whoami with a session cookie", "/api/v1/whoami", cookie},
	}
}

// sessionCookie is the name of the session cookie over plain HTTP.
const sessionCookie = "gennaker_session"

// login opens a browser session with the token (POST /login, as the login
// page's form does) and returns the session cookie's value.
func login(ctx context.Context, base, token string) (string, error) {
	form := url.Values{"token": {token}, "next": {"/"}}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			return ck.Value, nil
		}
	}
	return "", fmt.Errorf("POST /login answered %s with no %s cookie", resp.Status, sessionCookie)
}

// sample is what one probe measured in one round.
type sample struct {
	seq []time.Duration // latency of each sequential request
	// Concurrent blocks, summed.
	conc     []time.Duration // latency of each concurrent request
	concN    int
	concWall time.Duration
	cpuTicks int64 // server CPU (user+system) during the concurrent blocks
}

// newRequests builds one reusable request per probe (GET, no body).
func newRequests(ctx context.Context, base string, ps []probe) ([]*http.Request, error) {
	reqs := make([]*http.Request, len(ps))
	for i, p := range ps {
		req, err := http.NewRequestWithContext(ctx, "GET", base+p.path, nil)
		if err != nil {
			return nil, err
		}
		p.header(req.Header)
		reqs[i] = req
	}
	return reqs, nil
}

// send does one request and checks it answered 200.
func send(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s answered %s", req.URL.Path, resp.Status)
	}
	return err
}

// sequential sends perProbe requests of each probe, one at a time over one
// keep-alive connection, in slices of batch requests that cycle through the
// probes (starting at probe round%len), so a burst of noise lands on all.
func sequential(c *http.Client, reqs []*http.Request, out []sample, perProbe, batch, round int) error {
	for done := 0; done < perProbe; done += batch {
		k := min(batch, perProbe-done)
		for j := range reqs {
			i := (j + round + done/batch) % len(reqs)
			for range k {
				t0 := time.Now()
				if err := send(c, reqs[i]); err != nil {
					return err
				}
				out[i].seq = append(out[i].seq, time.Since(t0))
			}
		}
	}
	return nil
}

// concurrent sends perProbe requests of each probe from clients goroutines
// (closed loop), in blocks of perProbe/blocks requests that cycle through
// the probes. It records each block's wall time and the server's CPU time.
func concurrent(ctx context.Context, c *http.Client, reqs []*http.Request, out []sample, pid, perProbe, blocks, clients, round int) error {
	per := max(1, perProbe/blocks)
	for b := range blocks {
		for j := range reqs {
			i := (j + round + b) % len(reqs)
			lat, wall, ticks, err := block(ctx, c, reqs[i], pid, per, clients)
			if err != nil {
				return err
			}
			out[i].conc = append(out[i].conc, lat...)
			out[i].concN += per
			out[i].concWall += wall
			out[i].cpuTicks += ticks
		}
	}
	return nil
}

func block(ctx context.Context, c *http.Client, req *http.Request, pid, n, clients int) ([]time.Duration, time.Duration, int64, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	lats := make([][]time.Duration, clients)
	errs := make([]error, clients)
	cpu0, err := cpuTicks(pid)
	if err != nil {
		return nil, 0, 0, err
	}
	start := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := req.Clone(ctx)
			for next.Add(1) <= int64(n) {
				t0 := time.Now()
				if err := send(c, r); err != nil {
					errs[w] = err
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	cpu1, err := cpuTicks(pid)
	if err != nil {
		return nil, 0, 0, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, 0, 0, err
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return all, wall, cpu1 - cpu0, nil
}

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// cpuTicks returns the process's user + system CPU time in clock ticks,
// all threads included (fields 14 and 15 of /proc/PID/stat).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after it are plain.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the command name, want at least 13", pid, len(f))
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	return utime + stime, err
}
