package crash

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/internal/webhookrecv"
	"github.com/gennaker/gennaker/test/testserver"
)

// TestTimerResumesAfterKill kills the server while a wait stage runs and
// measures how long the wait takes to finish after the restart. The engine
// promises that a single-node server resumes a crashed predecessor's work
// "at once" (engine.Config.SingleNode); River's scheduler moves due timers
// every 5s, so anything well above that is a stall. On PostgreSQL the
// engine keeps the killed server's claims (another replica may hold them),
// so a step it had claimed is taken over when its claim expires: the bound
// is PostgresClaimTTL longer there.
func TestTimerResumesAfterKill(t *testing.T) { onEachStore(t, testTimerResumesAfterKill) }

func testTimerResumesAfterKill(t *testing.T, kind testserver.StoreKind) {
	rcv := webhookrecv.New()
	hooks := httptest.NewServer(rcv)
	t.Cleanup(hooks.Close)
	srv := newServerProc(t, kind)
	srv.Start()
	applyConfig(t, srv, hooks.URL)
	a := newAPI(srv.URL(), srv.token())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Let the first server run long enough to become River's leader.
	time.Sleep(2 * time.Second)
	id, err := a.run(ctx, "waits")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var e model.Execution
		if _, err := a.do(ctx, "GET", "/api/v1/executions/"+id, nil, &e); err == nil && len(e.Stages) > 1 && e.Stages[1].Status == model.StageRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("wait stage of %s never started", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.Kill()
	srv.Start()
	restarted := time.Now()
	for {
		var e model.Execution
		if _, err := a.do(ctx, "GET", "/api/v1/executions/"+id, nil, &e); err == nil && e.Status.Terminal() {
			took := time.Since(restarted)
			t.Logf("execution %s %s %s after the restart (its waits total 1s)", id, e.Status, took.Round(time.Millisecond))
			if e.Status != model.ExecutionSucceeded {
				t.Fatalf("execution %s ended %s after the restart, want succeeded: %s", id, e.Status, e.Reason)
			}
			bound := 8 * time.Second
			if kind == testserver.Postgres {
				bound += testserver.PostgresClaimTTL
			}
			if took > bound {
				t.Errorf("a 1s of waits took %s to finish after a restart: timers stall until the killed server's River leadership expires (leader TTL 15s); want under %s", took.Round(time.Millisecond), bound)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("execution %s did not finish within a minute", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
