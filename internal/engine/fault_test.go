package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

var errInjected = errors.New("injected fault")

// faultyStore is a real store (SQLite or PostgreSQL) whose writes fail at chosen points, at
// random with a seeded generator: when a transaction begins (the database
// is locked), just before it commits (it rolls back), after it committed
// (the caller is told it failed), when a job is enqueued (in a transaction
// or on its own), on a claim before or after it is written, on reads, and as a
// conflicting writer that bumps another stage's version just before a
// transaction.
type faultyStore struct {
	store.Store
	on   atomic.Bool
	rate float64
	mu   sync.Mutex
	rng  *rand.Rand
	hits map[string]int
}

func (f *faultyStore) fault(point string) bool { return f.faultAt(point, f.rate) }

// faultAt is fault at a rate of its own, for a point reached too seldom
// for the store's rate to hit it in a short schedule.
func (f *faultyStore) faultAt(point string, rate float64) bool {
	if !f.on.Load() {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rng.Float64() >= rate {
		return false
	}
	f.hits[point]++
	return true
}

func (f *faultyStore) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	if f.fault("tx: database locked at begin") {
		return fmt.Errorf("begin transaction: %w", errInjected)
	}
	if f.fault("tx: another writer bumped a pending stage first") {
		_ = f.Store.InTx(ctx, f.bumpPendingStage)
	}
	failBeforeCommit := f.fault("tx: fails before commit")
	err := f.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		if failBeforeCommit {
			return fmt.Errorf("commit transaction: %w", errInjected)
		}
		return nil
	})
	if err == nil && f.fault("tx: committed, answer lost") {
		return fmt.Errorf("commit transaction: %w", errInjected)
	}
	return err
}

// bumpPendingStage writes a pending stage of a running execution as it is,
// which bumps its version, as a writer that does not take the execution's
// lock would.
func (f *faultyStore) bumpPendingStage(ctx context.Context, tx store.Tx) error {
	execs, err := tx.ExecutionList(ctx, store.ExecutionListParams{Statuses: []model.ExecutionStatus{model.ExecutionRunning}, Limit: 1000})
	if err != nil {
		return err
	}
	var pending []store.StageRef
	for _, ex := range execs {
		for _, st := range ex.Stages {
			if st.Status == model.StagePending {
				pending = append(pending, store.StageRef{ExecutionID: ex.ID, Stage: st.Name})
			}
		}
	}
	if len(pending) == 0 {
		return nil
	}
	f.mu.Lock()
	ref := pending[f.rng.IntN(len(pending))]
	f.mu.Unlock()
	st, err := tx.StageGet(ctx, ref.ExecutionID, ref.Stage)
	if err != nil {
		return err
	}
	return tx.StageUpdate(ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StagePending}})
}

// NewQueue is the store's queue, whose inserts fail at random: in a
// transaction (River could not write the job: the transaction rolls back,
// at a higher rate, as the engine enqueues in a transaction only when a
// stage starts more than one), or on their own (a timer's job is lost).
func (f *faultyStore) NewQueue(cfg *river.Config) (store.Queue, error) {
	q, err := f.Store.NewQueue(cfg)
	if err != nil {
		return nil, err
	}
	return &faultyQueue{Queue: q, f: f}, nil
}

type faultyQueue struct {
	store.Queue
	f *faultyStore
}

func (q *faultyQueue) InsertTx(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if q.f.faultAt("queue: a job's insert in the transaction fails", 0.3) {
		return fmt.Errorf("insert job: %w", errInjected)
	}
	return q.Queue.InsertTx(ctx, tx, args, opts)
}

func (q *faultyQueue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if q.f.fault("queue: a timer's job is lost") {
		return fmt.Errorf("insert job: %w", errInjected)
	}
	return q.Queue.Insert(ctx, args, opts)
}

func (f *faultyStore) StageClaim(ctx context.Context, p store.StageClaimParams) (bool, error) {
	if f.fault("claim: fails before") {
		return false, errInjected
	}
	ok, err := f.Store.StageClaim(ctx, p)
	if err == nil && f.fault("claim: taken, answer lost") {
		return false, errInjected
	}
	return ok, err
}

func (f *faultyStore) ExecutionGet(ctx context.Context, id string) (*model.Execution, error) {
	if f.fault("read: execution") {
		return nil, errInjected
	}
	return f.Store.ExecutionGet(ctx, id)
}

func (f *faultyStore) StageDue(ctx context.Context, p store.StageDueParams) ([]store.StageRef, error) {
	if f.fault("scan: fails") {
		return nil, errInjected
	}
	return f.Store.StageDue(ctx, p)
}

// callCounter is a stage that makes steps external calls, counted by
// (execution, stage, step, attempt) as a webhook target would count them.
// A stage whose name has "flaky" fails its first step once (a transient
// error, retried); one with "sleepy" waits 50 ms between steps.
type callCounter struct {
	steps int
	mu    sync.Mutex
	calls map[string]int
}

func (c *callCounter) Run(_ context.Context, in stage.Input) stage.Result {
	var n int
	if len(in.Stage.State) > 0 {
		_ = json.Unmarshal(in.Stage.State, &n)
	}
	key := fmt.Sprintf("%s/%s/step%d/attempt%d", in.Execution.ID, in.Stage.Name, n, in.Stage.Attempt)
	c.mu.Lock()
	c.calls[key]++
	c.mu.Unlock()
	if strings.Contains(in.Stage.Name, "flaky") && n == 0 && in.Stage.Attempt == 1 {
		return stage.Retry(errors.New("503 from the flaky target"))
	}
	if n+1 >= c.steps {
		return stage.Succeed(nil)
	}
	at := in.Now
	if strings.Contains(in.Stage.Name, "sleepy") {
		at = at.Add(50 * time.Millisecond)
	}
	return stage.Again(at, n+1)
}

func faultPipelines() []model.Pipeline {
	noop := func(name string, needs ...string) model.StageSpec {
		return model.StageSpec{Name: name, Needs: needs, Noop: &model.NoopStage{}, Retries: 2}
	}
	return []model.Pipeline{
		{Name: "chain", Application: "a", Stages: []model.StageSpec{noop("first"), noop("flaky", "first"), noop("sleepy", "flaky")}},
		{Name: "fan", Application: "a", Stages: []model.StageSpec{noop("left"), noop("right-sleepy"), noop("join-flaky", "left", "right-sleepy")}},
		// A stage that starts two: their jobs are enqueued in the
		// transaction that ends it (faulted too).
		{Name: "fork", Application: "a", Stages: []model.StageSpec{noop("root"), noop("left-flaky", "root"), noop("right-sleepy", "root")}},
	}
}

// TestFaultsEveryCallOnceEveryExecutionEndsOnce runs executions while the
// store fails at random points, and checks that every execution ends
// exactly once, succeeded; that every step's external call was made
// exactly once; and, while they run, that no running stage is without its
// stored timer. It runs on each store (subtests sqlite and postgres, the
// engine set up as the server sets it up there). Seeds are printed;
// GENNAKER_FAULT_SEED replays one and GENNAKER_FAULT_SEEDS runs that many.
func TestFaultsEveryCallOnceEveryExecutionEndsOnce(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if s := os.Getenv("GENNAKER_FAULT_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("GENNAKER_FAULT_SEED=%q: want a number", s)
		}
		seeds = []uint64{seed}
	} else if s := os.Getenv("GENNAKER_FAULT_SEEDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("GENNAKER_FAULT_SEEDS=%q: want a number", s)
		}
		seeds = nil
		for i := range n {
			seeds = append(seeds, uint64(time.Now().UnixNano())+uint64(i))
		}
	}
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			for _, seed := range seeds {
				t.Run(fmt.Sprint(seed), func(t *testing.T) {
					t.Parallel()
					t.Logf("seed %d (replay with GENNAKER_FAULT_SEED=%d)", seed, seed)
					runFaultSchedule(t, kind, seed)
				})
			}
		})
	}
}

func runFaultSchedule(t *testing.T, kind storeKind, seed uint64) {
	const (
		perPipeline = 15
		steps       = 3
		rate        = 0.08
	)
	ctx := t.Context()
	inner := kind.open(t)
	fs := &faultyStore{Store: inner, rate: rate, rng: rand.New(rand.NewPCG(seed, 99)), hits: map[string]int{}}
	counter := &callCounter{steps: steps, calls: map[string]int{}}
	eng, err := engine.New(engine.Config{
		Store: fs, Runners: map[model.StageType]stage.Runner{model.StageNoop: counter},
		SingleNode: kind.singleNode, Workers: 8, PollInterval: 20 * time.Millisecond, ScanInterval: 200 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop(context.WithoutCancel(ctx)) //nolint:errcheck

	// Starts are not faulted: a start whose answer is lost is one the
	// caller cannot tell from a start that failed (it may run twice).
	var ids []string
	for _, pl := range faultPipelines() {
		for range perPipeline {
			exec, err := eng.StartPipeline(ctx, pl, nil, model.Trigger{}, engine.Guard{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, exec.ID)
		}
	}
	fs.on.Store(true)

	deadline := time.Now().Add(90 * time.Second)
	for {
		execs, err := inner.ExecutionList(ctx, store.ExecutionListParams{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, ex := range execs {
			if !ex.Status.Terminal() {
				running++
			}
			for _, st := range ex.Stages {
				if st.Status == model.StageRunning && st.WakeAt == nil {
					t.Fatalf("execution %s: stage %s is running without a stored timer", ex.ID, st.Name)
				}
			}
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			fs.on.Store(false)
			t.Fatalf("%d of %d executions still running after 90s under faults:\n%s", running, len(ids), describeRunning(execs))
		}
		time.Sleep(50 * time.Millisecond) // polling the store from outside the engine, as a user's reads would
	}
	fs.on.Store(false)

	evs, err := inner.EventList(ctx, store.EventListParams{Kinds: []model.EventKind{model.EventExecutionFinished}, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	finished := map[string]int{}
	for _, ev := range evs {
		finished[ev.ExecutionID]++
	}
	for _, id := range ids {
		ex, err := inner.ExecutionGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Status != model.ExecutionSucceeded {
			t.Errorf("execution %s ended %s (%s), want succeeded: only injected store faults happened, and every step's call succeeded", id, ex.Status, ex.Reason)
		}
		if finished[id] != 1 {
			t.Errorf("execution %s has %d execution_finished events, want exactly 1", id, finished[id])
		}
	}
	counter.mu.Lock()
	defer counter.mu.Unlock()
	var twice []string
	for key, n := range counter.calls {
		if n != 1 {
			twice = append(twice, fmt.Sprintf("%s: %d calls", key, n))
		}
	}
	sort.Strings(twice)
	if len(twice) > 0 {
		t.Errorf("%d steps were called more than once (want exactly once each):\n  %s", len(twice), strings.Join(twice, "\n  "))
	}
	// 3 stages x steps calls each, and one more for each flaky stage's retried first step.
	if want := len(ids) * (3*steps + 1); len(counter.calls) != want {
		t.Errorf("%d distinct step calls, want %d", len(counter.calls), want)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var points []string
	total := 0
	for p, n := range fs.hits {
		points = append(points, fmt.Sprintf("%s: %d", p, n))
		total += n
	}
	sort.Strings(points)
	t.Logf("%d executions, %d step calls, %d faults injected:\n  %s", len(ids), len(counter.calls), total, strings.Join(points, "\n  "))
	if len(fs.hits) < 6 {
		t.Errorf("only %d kinds of fault were injected; the schedule is too short to test them all", len(fs.hits))
	}
}

func describeRunning(execs []model.Execution) string {
	var b strings.Builder
	for _, ex := range execs {
		if ex.Status.Terminal() {
			continue
		}
		fmt.Fprintf(&b, "  %s (%s):", ex.ID, ex.Pipeline)
		for _, st := range ex.Stages {
			fmt.Fprintf(&b, " %s=%s", st.Name, st.Status)
			if st.ClaimedBy != "" {
				fmt.Fprintf(&b, "[claimed %s until %s]", st.ClaimedBy, st.ClaimUntil.Format("15:04:05.000"))
			}
			if st.WakeAt != nil {
				fmt.Fprintf(&b, "[wake %s]", st.WakeAt.Format("15:04:05.000"))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
