package store

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Queue is the durable job queue (River) over a store's database. Its jobs
// are rows of that database, so a job inserted with InsertTx commits or
// rolls back with the transaction's other writes: a state change and the
// job that carries it on are never one without the other.
//
// A store builds its Queue with NewRiverQueue, giving River's driver for
// its database and the way from its Tx to that driver's transaction type
// (*sql.Tx for SQLite, pgx.Tx for PostgreSQL), which is how the Store and
// Tx interfaces stay free of both.
type Queue interface {
	// Start begins working jobs with the workers of the config the queue
	// was built with. Jobs run under ctx: cancelling it cancels them.
	Start(ctx context.Context) error
	// Stop stops fetching jobs and waits (until ctx ends) for the running
	// ones to return.
	Stop(ctx context.Context) error
	// Insert enqueues one job on its own.
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
	// InsertTx enqueues one job in tx, a transaction of the store that
	// built the queue (or a wrapper of one that has Unwrap() Tx).
	InsertTx(ctx context.Context, tx Tx, args river.JobArgs, opts *river.InsertOpts) error
	// InsertMany enqueues jobs together, on their own.
	InsertMany(ctx context.Context, params []river.InsertManyParams) error
	// Wake tells this process's workers that jobs were enqueued: call it
	// after the commit of a transaction that enqueued jobs with InsertTx
	// (Insert and InsertMany wake them themselves). The workers do not poll
	// the database for jobs (see queue_wake.go); without a Wake a job
	// enqueued in a transaction waits for River's slow safety fetch
	// (FetchPollInterval) unless another replica's NOTIFY reaches them.
	Wake()
}

// NewRiverQueue is a Queue that is River's client over driver, built with
// cfg (the caller's workers, queues and policies), for a database several
// processes share: River's listener (PostgreSQL's LISTEN/NOTIFY) wakes
// every process's workers when jobs commit, and Wake this process's. txOf
// gives the driver's transaction inside a Tx of the store the driver belongs
// to, and false for any other Tx.
func NewRiverQueue[TTx any](driver riverdriver.Driver[TTx], txOf func(Tx) (TTx, bool), cfg *river.Config) (Queue, error) {
	return newRiverQueue(driver, txOf, cfg, false)
}

// NewLocalRiverQueue is NewRiverQueue for a database only this process
// works (embedded SQLite): River's notifications go from this process to
// itself without the database, which River's SQLite driver would poll for
// them every 50 ms.
func NewLocalRiverQueue[TTx any](driver riverdriver.Driver[TTx], txOf func(Tx) (TTx, bool), cfg *river.Config) (Queue, error) {
	return newRiverQueue(driver, txOf, cfg, true)
}

func newRiverQueue[TTx any](driver riverdriver.Driver[TTx], txOf func(Tx) (TTx, bool), cfg *river.Config, inProcess bool) (Queue, error) {
	wd := &wakeDriver[TTx]{Driver: driver, listener: newWakeListener(), inProcess: inProcess}
	client, err := river.NewClient[TTx](wd, cfg)
	if err != nil {
		return nil, err
	}
	queues := make([]string, 0, len(cfg.Queues))
	for q := range cfg.Queues {
		queues = append(queues, q)
	}
	q := &riverQueue[TTx]{client: client, txOf: txOf, listener: wd.listener, queues: queues}
	if inProcess { // nobody else inserts jobs: River's client may sleep (queue_sleep.go)
		q.sleeper = newSleeper(client, q.look, cmp.Or(cfg.FetchPollInterval, time.Second), cfg.Logger)
		wd.listener.onInsert = q.sleeper.inserted
	}
	return q, nil
}

var _ Queue = (*riverQueue[any])(nil)

// riverQueue is Queue over River's Client[TTx].
type riverQueue[TTx any] struct {
	client   *river.Client[TTx]
	txOf     func(Tx) (TTx, bool)
	listener *wakeListener
	queues   []string // the queues this process works
	sleeper  *sleeper // nil: River's client runs from Start to Stop
}

func (q *riverQueue[TTx]) Wake() { q.listener.wakeQueues(q.queues) }

func (q *riverQueue[TTx]) Start(ctx context.Context) error {
	if q.sleeper != nil {
		return q.sleeper.start(ctx)
	}
	return q.client.Start(ctx)
}

func (q *riverQueue[TTx]) Stop(ctx context.Context) error {
	if q.sleeper != nil {
		q.sleeper.stop()
	}
	return q.client.Stop(ctx)
}

// look reads whether a job is available or running, and the earliest due
// time of the others, for the sleeper.
func (q *riverQueue[TTx]) look(ctx context.Context) (jobsLook, error) {
	busy, err := q.client.JobList(ctx, river.NewJobListParams().
		States(rivertype.JobStateAvailable, rivertype.JobStateRunning).First(1))
	if err != nil {
		return jobsLook{}, err
	}
	if len(busy.Jobs) > 0 {
		return jobsLook{busy: true}, nil
	}
	due, err := q.client.JobList(ctx, river.NewJobListParams().
		States(rivertype.JobStateScheduled, rivertype.JobStateRetryable).
		OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc).First(1))
	if err != nil {
		return jobsLook{}, err
	}
	if len(due.Jobs) == 0 {
		return jobsLook{}, nil
	}
	return jobsLook{next: due.Jobs[0].ScheduledAt}, nil
}

func (q *riverQueue[TTx]) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := q.client.Insert(ctx, args, opts); err != nil {
		return err
	}
	q.Wake()
	return nil
}

func (q *riverQueue[TTx]) InsertTx(ctx context.Context, tx Tx, args river.JobArgs, opts *river.InsertOpts) error {
	dtx, err := q.driverTx(tx)
	if err != nil {
		return err
	}
	_, err = q.client.InsertTx(ctx, dtx, args, opts)
	return err
}

func (q *riverQueue[TTx]) InsertMany(ctx context.Context, params []river.InsertManyParams) error {
	if _, err := q.client.InsertMany(ctx, params); err != nil {
		return err
	}
	q.Wake()
	return nil
}

// driverTx is the driver's transaction in tx, unwrapping wrappers (a test's
// fault injector) until it reaches one of the store's own.
func (q *riverQueue[TTx]) driverTx(tx Tx) (TTx, error) {
	for t := tx; t != nil; {
		if dtx, ok := q.txOf(t); ok {
			return dtx, nil
		}
		u, ok := t.(interface{ Unwrap() Tx })
		if !ok {
			break
		}
		t = u.Unwrap()
	}
	var zero TTx
	return zero, fmt.Errorf("enqueueing a job: the transaction (%T) is not one of the store that built the queue; pass the Tx InTx gave (a wrapper needs an Unwrap() store.Tx method)", tx)
}

// MigrateRiver brings River's own tables up to date through driver, after a
// store's own migrations, logging each step it applies, and returns them
// ("river 006 bulk_unique", as `gennaker migrate` prints them).
func MigrateRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], logger *slog.Logger) ([]string, error) {
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	var applied []string
	for _, v := range res.Versions {
		logger.InfoContext(ctx, "applied river migration", "version", v.Version, "name", v.Name)
		applied = append(applied, fmt.Sprintf("river %03d %s", v.Version, v.Name))
	}
	return applied, nil
}
