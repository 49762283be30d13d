package engine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// losingStore's queue drops the first jobs enqueued with a change, as if
// a replica had taken them from River's table and died before they claimed
// their stage: River keeps such a job running until it rescues it, 20
// minutes on.
type losingStore struct {
	store.Store
	lose atomic.Int32
}

func (s *losingStore) NewQueue(cfg *river.Config) (store.Queue, error) {
	q, err := s.Store.NewQueue(cfg)
	if err != nil {
		return nil, err
	}
	return &losingQueue{Queue: q, s: s}, nil
}

type losingQueue struct {
	store.Queue
	s *losingStore
}

func (q *losingQueue) InsertTx(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if q.s.lose.Add(-1) >= 0 {
		return nil
	}
	return q.Queue.InsertTx(ctx, tx, args, opts)
}

// With several replicas (PostgreSQL), a stage whose job was lost with the
// replica that took it moves on about ClaimTTL later, as one whose claim
// was lost does: the due scan does not trust the queued job for the 15
// minutes it does on a single node. (Found by test/crash: kill -9 between
// River handing out a job and the job claiming its stage.)
func TestAJobLostWithItsReplicaIsReplacedAfterClaimTTL(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := &losingStore{Store: openPostgres(t)}
	st.lose.Store(1)
	counter := &callCounter{steps: 1, calls: map[string]int{}}
	const claimTTL = time.Second
	eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{model.StageNoop: counter},
		ClaimTTL: claimTTL, ScanInterval: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		EagerStarts: -1}) // the first stage gets a job, and loses it
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop(context.WithoutCancel(ctx)) //nolint:errcheck

	pl := model.Pipeline{Name: "p", Application: "a", Stages: []model.StageSpec{{Name: "only", Noop: &model.NoopStage{}}}}
	exec, err := eng.StartPipeline(ctx, pl, nil, model.Trigger{}, engine.Guard{})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	for {
		ex, err := st.ExecutionGet(ctx, exec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Status.Terminal() {
			if ex.Status != model.ExecutionSucceeded {
				t.Fatalf("execution ended %s: %s", ex.Status, ex.Reason)
			}
			t.Logf("the stage whose job was lost succeeded %s after its start (claim TTL %s)", time.Since(began).Round(time.Millisecond), claimTTL)
			return
		}
		if time.Since(began) > 10*claimTTL {
			t.Fatalf("the stage whose job was lost still waits %s after its start (claim TTL %s):\n%s",
				time.Since(began).Round(time.Millisecond), claimTTL, describeRunning([]model.Execution{*ex}))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
