// Package engineprof runs the engine benchmark's workload in process (SQLite
// store + engine + no-op stage runner, no HTTP) so it can be profiled with
// the standard test flags. It is skipped unless -execs is given:
//
//	go test ./bench/engineprof -run TestEngineInProcess -count 1 -v \
//	    -execs 4000 -cpuprofile /tmp/cpu.out -mutexprofile /tmp/mutex.out -blockprofile /tmp/block.out
//	go tool pprof -top bench/engineprof/engineprof.test /tmp/cpu.out   # or: go tool pprof -top /tmp/cpu.out
//
// Besides the wall time it reports how long workers spent in our own
// ExecutionGet, in write transactions (InTx), and waiting for the single
// writer connection (database/sql pool wait statistics).
package engineprof

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

var (
	execs   = flag.Int("execs", 0, "executions to run (0 skips the test)")
	clients = flag.Int("clients", 16, "goroutines starting executions")
	workers = flag.Int("workers", 0, "engine Workers (0: default)")
	pollIv  = flag.Duration("pollinterval", 0, "engine PollInterval (0: default)")
	stages  = flag.Int("stages", 5, "chained no-op stages per pipeline")
	// preload starts all executions before the engine starts, to separate
	// start-request cost from job-processing cost.
	preload = flag.Bool("preload", false, "insert all executions before starting the workers")
)

// timedStore counts time spent in ExecutionGet and InTx.
type timedStore struct {
	store.Store
	getN, getNs, txN, txNs atomic.Int64
}

func (s *timedStore) ExecutionGet(ctx context.Context, id string) (*model.Execution, error) {
	t := time.Now()
	e, err := s.Store.ExecutionGet(ctx, id)
	s.getN.Add(1)
	s.getNs.Add(int64(time.Since(t)))
	return e, err
}

func (s *timedStore) InTx(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	t := time.Now()
	err := s.Store.InTx(ctx, fn)
	s.txN.Add(1)
	s.txNs.Add(int64(time.Since(t)))
	return err
}

// timedRunner counts stage runs.
type timedRunner struct {
	stage.Runner
	n atomic.Int64
}

func (r *timedRunner) Run(ctx context.Context, in stage.Input) stage.Result {
	r.n.Add(1)
	return r.Runner.Run(ctx, in)
}

func TestEngineInProcess(t *testing.T) {
	if *execs == 0 {
		t.Skip("pass -execs N to run")
	}
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	st := &timedStore{Store: raw}

	var specs []model.StageSpec
	for i := 1; i <= *stages; i++ {
		s := model.StageSpec{Name: fmt.Sprintf("s%d", i), Noop: &model.NoopStage{}}
		if i > 1 {
			s.Needs = []string{fmt.Sprintf("s%d", i-1)}
		}
		specs = append(specs, s)
	}
	var cfg model.Config
	if err := json.Unmarshal([]byte(`{"applications":[{"name":"b","run":{"command":"/bin/true"},"healthCheck":{"path":"/healthz"},"instances":1}],"environments":[]}`), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Pipelines = []model.Pipeline{{Name: "noop5", Application: "b", Stages: specs}}
	if _, err := raw.ConfigApply(ctx, cfg); err != nil {
		t.Fatal(err)
	}

	noop := &timedRunner{Runner: stage.Noop{}}
	eng, err := engine.New(engine.Config{
		Store: st, Runners: map[model.StageType]stage.Runner{model.StageNoop: noop},
		Workers: *workers, PollInterval: *pollIv, SingleNode: true,
	})
	if err != nil {
		t.Fatal(err)
	}

	startAll := func() time.Duration {
		t0 := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range *clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(*execs) {
					if _, err := eng.StartExecution(ctx, engine.StartParams{Pipeline: "noop5"}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}

	var submit time.Duration
	if *preload {
		submit = startAll()
		t.Logf("preloaded %d executions in %s (%.0f/s)", *execs, submit.Round(time.Millisecond), float64(*execs)/submit.Seconds())
	}
	getN0, getNs0, txN0, txNs0 := st.getN.Load(), st.getNs.Load(), st.txN.Load(), st.txNs.Load()
	w0 := raw.WriterStats()
	t0 := time.Now()
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop(ctx) //nolint:errcheck
	if !*preload {
		submit = startAll()
	}
	for {
		running, err := raw.ExecutionList(ctx, store.ExecutionListParams{Statuses: []model.ExecutionStatus{model.ExecutionRunning}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(running) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	total := time.Since(t0)
	w1 := raw.WriterStats()
	steps := *execs * *stages
	t.Logf("%d executions x %d stages: submit %s, total %s: %.1f execs/s, %.1f stage steps/s",
		*execs, *stages, submit.Round(time.Millisecond), total.Round(time.Millisecond),
		float64(*execs)/total.Seconds(), float64(steps)/total.Seconds())
	t.Logf("stage runs: %d (expected %d)", noop.n.Load(), steps)
	gn, gns := st.getN.Load()-getN0, st.getNs.Load()-getNs0
	tn, tns := st.txN.Load()-txN0, st.txNs.Load()-txNs0
	t.Logf("store.ExecutionGet outside tx: %d calls, %s total, %s mean", gn, time.Duration(gns).Round(time.Millisecond), time.Duration(gns/max(gn, 1)))
	t.Logf("store.InTx (engine writes, incl. waiting for the writer): %d calls, %s total, %s mean", tn, time.Duration(tns).Round(time.Millisecond), time.Duration(tns/max(tn, 1)))
	t.Logf("writer pool (1 conn, shared with River): waits %d, wait time %s (sum over goroutines), in-use now %d",
		w1.WaitCount-w0.WaitCount, (w1.WaitDuration - w0.WaitDuration).Round(time.Millisecond), w1.InUse)
}
