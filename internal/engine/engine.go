package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// Config wires an Engine.
type Config struct {
	Store   store.Store
	Runners map[model.StageType]stage.Runner
	Logger  *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Workers is how many stage jobs run at once (default 100).
	Workers int
	// PollInterval is how often idle workers look for due jobs (default 50ms).
	PollInterval time.Duration
	// SingleNode says this process is the only one using the database (the
	// embedded SQLite default), so jobs left running by a crashed predecessor
	// can be taken back at start instead of waiting for River's rescuer.
	SingleNode bool
}

// Engine runs executions durably: every state change is a guarded write
// committed together with the job that carries the execution on.
type Engine struct {
	store   store.Store
	runners map[model.StageType]stage.Runner
	log     *slog.Logger
	now     func() time.Time
	river   *river.Client[*sql.Tx]
	bus     *Bus
	cfg     Config
	timers  timers
	stopRun context.CancelFunc
}

// New builds an engine; call Start to begin working jobs.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errors.New("engine: Config.Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 100
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	e := &Engine{store: cfg.Store, runners: cfg.Runners, log: cfg.Logger, now: cfg.Now, bus: NewBus(), cfg: cfg}

	workers := river.NewWorkers()
	river.AddWorker(workers, &stageWorker{engine: e})
	rc := &river.Config{
		Logger:                      cfg.Logger.With("component", "river"),
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:                     workers,
		FetchCooldown:               cfg.PollInterval / 10,
		FetchPollInterval:           cfg.PollInterval,
		JobTimeout:                  15 * time.Minute,
		RescueStuckJobsAfter:        16 * time.Minute,
		PollOnly:                    true,
		MaxAttempts:                 50,
		CompletedJobRetentionPeriod: time.Hour,
	}
	var err error
	switch cfg.Store.Dialect() {
	case "sqlite":
		e.river, err = river.NewClient(riversqlite.New(cfg.Store.DB()), rc)
	case "postgres":
		e.river, err = river.NewClient(riverdatabasesql.New(cfg.Store.DB()), rc)
	default:
		return nil, fmt.Errorf("engine: store dialect %q has no River driver", cfg.Store.Dialect())
	}
	if err != nil {
		return nil, fmt.Errorf("engine: starting the job queue: %w", err)
	}
	return e, nil
}

// Bus is where execution updates are published for live views (SSE).
func (e *Engine) Bus() *Bus { return e.bus }

// Start begins working jobs. On a single node it first takes back jobs that
// a crashed predecessor left running, so their executions resume at once.
func (e *Engine) Start(ctx context.Context) error {
	if e.cfg.SingleNode {
		n, err := e.store.QueueResetOrphans(ctx)
		if err != nil {
			return fmt.Errorf("engine: taking back jobs left running by a previous server: %w", err)
		}
		if n > 0 {
			e.log.Info("resuming work a previous server left unfinished", "jobs", n)
		}
		// Before any worker runs: a worker carrying on inline could otherwise
		// start a stage the sweep then nudges a second time.
		if err := e.sweep(ctx); err != nil {
			return err
		}
	}
	if err := e.river.Start(ctx); err != nil {
		return fmt.Errorf("engine: starting workers: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stopRun = cancel
	e.startTimers(runCtx)
	if e.cfg.SingleNode {
		e.rearmTimers(ctx)
	}
	return nil
}

// rearmTimers sets in-process timers again for the stage jobs scheduled
// before a restart, so a stage due in a moment wakes on time instead of at
// River's next scheduler pass (up to ~5 s later); one that came due while
// no server ran is woken at once.
func (e *Engine) rearmTimers(ctx context.Context) {
	jobs, err := e.stageJobs(ctx, rivertype.JobStateScheduled)
	if err != nil {
		e.log.Warn("could not read scheduled stage jobs; they wake at River's next scheduler pass", "err", err)
		return
	}
	for _, j := range jobs {
		if !j.at.After(e.now()) {
			// Due while no server ran: River's scheduler would release it at
			// its next pass, seconds from now. Wake the stage at once.
			a := j.args
			a.At = 0
			if _, err := e.river.Insert(ctx, a, nil); err != nil {
				e.log.Warn("could not wake a stage that came due while the server was down; its scheduled job will", "execution", a.ExecutionID, "stage", a.Stage, "err", err)
			}
			continue
		}
		e.wakeLater(j.args, j.at)
	}
}

// sweep nudges every running stage of every running execution. A job that
// ran several steps back to back (inline continuation) leaves the stage it
// was on without a job of its own; after a crash this gives it one. Extra
// nudges are harmless: a worker that finds nothing to do does nothing.
func (e *Engine) sweep(ctx context.Context) error {
	execs, err := e.store.ExecutionList(ctx, store.ExecutionListParams{Statuses: []model.ExecutionStatus{model.ExecutionRunning}, Limit: 1 << 30})
	if err != nil {
		return fmt.Errorf("engine: listing running executions to resume: %w", err)
	}
	queued, err := e.queuedStages(ctx)
	if err != nil {
		return err
	}
	var nudged int
	err = e.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, ex := range execs {
			for _, st := range ex.Stages {
				if st.Status != model.StageRunning || covered(queued[stageArgs{ExecutionID: ex.ID, Stage: st.Name}], st) {
					continue
				}
				if err := e.nudge(ctx, tx, ex.ID, st.Name, e.now()); err != nil {
					return err
				}
				nudged++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("engine: resuming running stages: %w", err)
	}
	if nudged > 0 {
		e.log.Info("resumed running stages", "stages", nudged, "executions", len(execs))
	}
	return nil
}

// Stop lets running jobs finish (until ctx ends) and stops the workers.
func (e *Engine) Stop(ctx context.Context) error {
	if e.stopRun != nil {
		e.stopRun()
	}
	e.stopTimers()
	return e.river.Stop(ctx)
}

// queuedStages returns, per stage, the versions its waiting jobs (or those
// reset from a crash) were asked for, so the sweep gives a stage a job only
// when none of them will run it.
func (e *Engine) queuedStages(ctx context.Context) (map[stageArgs][]int, error) {
	jobs, err := e.stageJobs(ctx, rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled)
	if err != nil {
		return nil, fmt.Errorf("engine: listing queued stage jobs: %w", err)
	}
	out := map[stageArgs][]int{}
	for _, j := range jobs {
		a := j.args
		a.At, a.Version = 0, 0
		out[a] = append(out[a], j.args.Version)
	}
	return out, nil
}

// covered reports whether one of a stage's queued jobs will run it: a job
// asked for an older version of the stage does nothing (see stageArgs).
func covered(versions []int, st model.Stage) bool {
	for _, v := range versions {
		if v == 0 || v == st.Version {
			return true
		}
	}
	return false
}
