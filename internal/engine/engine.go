package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
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
	// PollInterval is how often idle workers look for jobs nobody told
	// them about (River's FetchPollInterval; default 30s): a job enqueued
	// here wakes this process's workers at once (Queue.Wake), and one
	// enqueued by another replica wakes them through PostgreSQL's NOTIFY,
	// so this is only a safety net.
	PollInterval time.Duration
	// SingleNode says this process is the only one using the database (the
	// embedded SQLite default): the claims left by a crashed predecessor are
	// dropped at start, so the steps it was making resume at once instead of
	// when their claims expire.
	SingleNode bool
	// EagerStarts is how many executions at once the server that started
	// them carries on itself, without giving their first stage a job
	// (eager.go; default 4 × Workers, negative for none). In a burst of
	// starts the executions carried on wait for the database as long as
	// the starts do; past this many, a start gives its stage a job, which
	// costs more (the job's insert, fetch and completion) just when the
	// server is busiest.
	EagerStarts int
	// Inline is how many steps one job makes back to back when each leaves
	// a stage due at once (default 64; 1 gives every step its own job).
	Inline int
	// ScanInterval is how often the due scan looks for stages whose stored
	// timer has come and that nothing else will wake (see scan.go). On a
	// single node (default 30s) that is only a safety net: the jobs and
	// in-process timers of this process wake every stage on time. With
	// several replicas it is also how soon a dead replica's expired claims
	// are found (default ClaimTTL/8, between 1s and 30s).
	ScanInterval time.Duration
	// ClaimTTL is how long a step's claim holds unless its worker renews
	// it (default 20s): with several replicas, the steps a dead replica
	// was making are taken over by another about ClaimTTL plus
	// ScanInterval after it died.
	ClaimTTL time.Duration
}

// Engine runs executions durably: every change goes through one apply that
// commits it together with what carries the execution on (a job, a claim for
// the worker that carries on, or a stored timer).
type Engine struct {
	store   store.Store
	runners map[model.StageType]stage.Runner
	log     *slog.Logger
	now     func() time.Time
	queue   store.Queue // River over the store's database (Store.NewQueue)
	bus     *Bus
	cfg     Config
	timers  timers
	stopRun context.CancelFunc
	scanned chan struct{} // closed when the due scan's loop has ended
	fed     chan struct{} // closed when the feed's loop has ended
	changed chan struct{} // a change was committed here: wake the feed
	id      string        // this engine, in its due scan's jobs
	// stopping is set by Stop: jobs finish their step, and start no other.
	stopping atomic.Bool
	eager    eager // executions carried on by the server that started them
}

// jobTimeout is how long one job may run (River's JobTimeout).
const jobTimeout = 15 * time.Minute

const (
	// safetyPoll is the default Config.PollInterval: how often idle
	// workers look for jobs although nobody woke them.
	safetyPoll = 30 * time.Second
	// fetchCooldown is the shortest time between two fetches of jobs
	// (River's FetchCooldown): wake-ups within it are served by one fetch.
	fetchCooldown = 5 * time.Millisecond
)

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
		cfg.PollInterval = safetyPoll
	}
	if cfg.EagerStarts == 0 {
		cfg.EagerStarts = 4 * cfg.Workers
	}
	if cfg.Inline <= 0 {
		cfg.Inline = 64
	}
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = defaultClaimTTL
	}
	if cfg.ScanInterval <= 0 {
		cfg.ScanInterval = defaultScanInterval(cfg.SingleNode, cfg.ClaimTTL)
	}
	e := &Engine{store: cfg.Store, runners: cfg.Runners, log: cfg.Logger, now: cfg.Now, bus: NewBus(), cfg: cfg, id: rand.Text(), changed: make(chan struct{}, 1)}

	workers := river.NewWorkers()
	river.AddWorker(workers, &stageWorker{engine: e})
	rc := &river.Config{
		Logger:               cfg.Logger.With("component", "river"),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		FetchCooldown:        min(fetchCooldown, cfg.PollInterval),
		FetchPollInterval:    cfg.PollInterval,
		JobTimeout:           jobTimeout,
		RescueStuckJobsAfter: jobTimeout + 5*time.Minute, // the due scan gives the stage a new job once its claim expires
		// Not PollOnly: workers are woken by River's listener, which the
		// store's queue feeds from this process (Queue.Wake) and, on
		// PostgreSQL, from every replica (LISTEN/NOTIFY).
		PollOnly:                    false,
		MaxAttempts:                 50,
		RetryPolicy:                 retryPolicy{},
		CompletedJobRetentionPeriod: time.Hour,
	}
	// The store brings River's driver for its database, so the engine
	// links no database driver of its own and enqueues in a store.Tx.
	var err error
	e.queue, err = cfg.Store.NewQueue(rc)
	if err != nil {
		return nil, fmt.Errorf("engine: starting the job queue: %w", err)
	}
	return e, nil
}

// Bus is where execution updates are published for live views (SSE).
func (e *Engine) Bus() *Bus { return e.bus }

// Start begins working jobs and the due scan. On a single node it first
// drops the claims a crashed predecessor left, so the steps it was making
// are made again at once.
func (e *Engine) Start(ctx context.Context) error {
	if e.cfg.SingleNode {
		n, err := e.store.StageReleaseClaims(ctx)
		if err != nil {
			return fmt.Errorf("engine: taking back the steps a previous server was making: %w", err)
		}
		if n > 0 {
			e.log.Info("resuming stages a previous server left claimed or queued", "stages", n)
		}
	}
	last, err := e.store.ChangeLast(ctx)
	if err != nil {
		return fmt.Errorf("engine: reading the change outbox: %w", err)
	}
	// River's jobs must not end when ctx does (a signal): Stop lets them
	// finish storing what they did, so no step is made twice.
	if err := e.queue.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("engine: starting workers: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stopRun = cancel
	e.startEager()
	e.startTimers(runCtx)
	// Wake what came due while no server ran, and set timers for what is
	// due soon, before the first tick.
	if err := e.scan(ctx, e.now()); err != nil {
		e.log.Warn("could not look for due stages at start; the due scan tries again", "err", err)
	}
	e.scanned, e.fed = make(chan struct{}), make(chan struct{})
	go e.scanLoop(runCtx)
	go e.feedLoop(runCtx, last)
	return nil
}

// Stop lets running jobs, and executions carried on by the server that
// started them (eager.go), finish their step and store its result (until
// ctx ends), without starting new ones, and stops the workers. A job carrying
// on inline stops after its current step; the stage it had claimed for the
// next one is made by the next server (its claim is dropped at start on a
// single node, and expires after Config.ClaimTTL elsewhere).
func (e *Engine) Stop(ctx context.Context) error {
	e.stopping.Store(true)
	if e.stopRun != nil {
		e.stopRun()
		<-e.scanned
		<-e.fed
	}
	e.stopTimers()
	err := e.queue.Stop(ctx)
	e.stopEager(ctx)
	return err
}

// retryPolicy retries a failed job after Backoff(attempt) (1 s doubling to
// a minute) instead of River's attempt⁴ seconds: a job is a nudge and a
// failed one usually met a database that was busy for a moment, while its
// stage may be held by the failed attempt's claim until the job runs again.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(Backoff(job.Attempt))
}
