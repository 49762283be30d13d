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

// hookedStore's queue asks insert before it inserts a job; false drops
// the job (as if a replica had taken it from River's table and died
// before it claimed its stage: River keeps such a job running until it
// rescues it, 20 minutes on).
type hookedStore struct {
	store.Store
	insert func() bool
}

func (s *hookedStore) NewQueue(cfg *river.Config) (store.Queue, error) {
	q, err := s.Store.NewQueue(cfg)
	if err != nil {
		return nil, err
	}
	return &hookedQueue{Queue: q, insert: s.insert}, nil
}

type hookedQueue struct {
	store.Queue
	insert func() bool
}

func (q *hookedQueue) InsertTx(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if !q.insert() {
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
	var lose atomic.Int32
	lose.Store(1) // the first job enqueued with a change is lost
	st := &hookedStore{Store: openPostgres(t), insert: func() bool { return lose.Add(-1) < 0 }}
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
