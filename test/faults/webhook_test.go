package faults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/testserver"
)

// TestWebhookRetryCallsOncePerAttempt runs 50 executions of a webhook that
// always answers 500 with `retries: 2`, 10 at a time: each must fail after
// exactly 3 calls with its Idempotency-Key. On each store.
func TestWebhookRetryCallsOncePerAttempt(t *testing.T) {
	t.Parallel()
	onEachStore(t, testWebhookRetryCallsOncePerAttempt)
}

func testWebhookRetryCallsOncePerAttempt(t *testing.T, kind testserver.StoreKind) {
	r := newRig(t, kind)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	began := time.Now()
	r.runAll(ctx, pipelineRetried, 50, 10)
	execs, _ := r.settle(ctx, 30*time.Second)
	t.Logf("50 executions of %s ended %s after the first start", pipelineRetried, time.Since(began).Round(time.Millisecond))

	v := judge(execs, r.target.record())
	t.Logf("calls per key (want %d each): %s", retriedCalls, distribution(v.CallsPerKey, "calls"))
	fmt.Printf("faults: webhook retries: %d executions, calls per key (want %d): %s\n", len(execs), retriedCalls, distribution(v.CallsPerKey, "calls"))
	if len(execs) != 50 {
		t.Errorf("the server lists %d executions of %s; want the 50 the test started", len(execs), pipelineRetried)
	}
	v.report(t)
}

// TestPollingWebhookPollsOncePerInterval runs 10 executions of a webhook
// with a status URL polled every second, all at once; the target reports
// success at the 5th poll of a key. Every execution must succeed after one
// call and 5 polls, no two of them less than 500 ms apart. On each store.
func TestPollingWebhookPollsOncePerInterval(t *testing.T) {
	t.Parallel()
	onEachStore(t, testPollingWebhookPollsOncePerInterval)
}

func testPollingWebhookPollsOncePerInterval(t *testing.T, kind testserver.StoreKind) {
	r := newRig(t, kind)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	r.runAll(ctx, pipelinePolled, 10, 10)
	execs, _ := r.settle(ctx, 30*time.Second)

	rec := r.target.record()
	gaps := pollGaps(rec)
	t.Logf("polls per key: %s; gaps between polls of a key: %s", distribution(countOf(rec.Polls), "polls"), gaps)
	fmt.Printf("faults: polling webhook: %d executions, polls per key (want %d): %s; gaps %s\n", len(execs), pollsToSuccess, distribution(countOf(rec.Polls), "polls"), gaps)
	if len(execs) != 10 {
		t.Errorf("the server lists %d executions of %s; want the 10 the test started", len(execs), pipelinePolled)
	}
	judge(execs, rec).report(t)
}

// onEachStore runs test as parallel subtests named by store kind.
func onEachStore(t *testing.T, test func(*testing.T, testserver.StoreKind)) {
	for _, kind := range testserver.StoreKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			test(t, kind)
		})
	}
}

// runAll starts n executions of pipeline, at most concurrent at a time, and
// follows each (the execution's event stream) until it ends. An execution
// that cannot be started, or does not end, fails the test.
func (r *rig) runAll(ctx context.Context, pipeline string, n, concurrent int) {
	r.t.Helper()
	watcher := client.New(r.srv.URL, r.srv.Token) // no timeout: ctx bounds the streams
	todo := make(chan int, n)
	for i := range n {
		todo <- i
	}
	close(todo)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	for range concurrent {
		wg.Go(func() {
			for range todo {
				exec, err := r.admin.Run(ctx, pipeline, client.RunRequest{})
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("starting %s: %v", pipeline, err))
					mu.Unlock()
					continue
				}
				last, err := watcher.Watch(ctx, exec.ID, func(*model.Execution) {})
				if err != nil || last == nil || !last.Status.Terminal() {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("following %s until it ends: %v (last seen: %v)", exec.ID, err, statusOf(last)))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, e := range errs {
		r.t.Error(e)
	}
}

func statusOf(e *model.Execution) string {
	if e == nil {
		return "nothing"
	}
	return string(e.Status)
}

// countOf counts the times of each key.
func countOf(m map[string][]time.Time) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}

// pollGaps summarises the time between consecutive polls of a key.
func pollGaps(rec targetRecord) string {
	var lo, hi time.Duration
	n := 0
	for _, polls := range rec.Polls {
		for i := 1; i < len(polls); i++ {
			g := polls[i].Sub(polls[i-1])
			if n == 0 || g < lo {
				lo = g
			}
			if n == 0 || g > hi {
				hi = g
			}
			n++
		}
	}
	if n == 0 {
		return "none"
	}
	return fmt.Sprintf("%d gaps, min %s, max %s", n, lo.Round(time.Millisecond), hi.Round(time.Millisecond))
}
