// Package runner runs the applied config's polling triggers (registry, git,
// schedule, pipeline) on every replica: one loop per trigger asks the
// trigger's source Poller what happened since its cursor, fires each
// firing through the Starter and saves the next cursor.
//
// Every replica runs every loop. Two replicas that see the same occurrence
// start one execution, because the Starter starts a (trigger, delivery ID)
// at most once; the cursor only saves work, so a cursor saved late, twice
// or not at all (a crash between a start and the save) costs a repeated
// look, never a repeated start.
//
//	config (PipelineList, every few seconds or on apply)
//	   └─ reconcile: start, update or stop one loop per trigger key
//	        └─ loop: cursor → Poller.Poll → Starter.Fire each → save cursor → sleep
package runner

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/trigger"
)

// Pipelines lists the applied pipelines (the store), and tells when the
// config moved on.
type Pipelines interface {
	PipelineList(ctx context.Context, params store.PipelineListParams) ([]model.Pipeline, error)
	ConfigRevision(ctx context.Context) (int64, error)
}

// Reporter is told how looks at a trigger's source go: err is nil after a
// look that fired and saved its cursor, else what went wrong (a source
// that cannot be reached, a firing the pipeline refused). The trigger
// service keeps it as the trigger's last error. A loop tells it when the
// outcome changes (the first look, a new error, a recovery) and at least
// every ReportEvery, not after every look: a pipeline trigger looks every
// second.
type Reporter interface {
	TriggerPolled(ctx context.Context, key string, err error)
}

// NextRunner is what a Poller implements to say when it wants to look
// next (the schedule's next tick); a zero time means "at the source's
// default interval".
type NextRunner interface {
	NextRun(ref trigger.Ref, now time.Time) time.Time
}

// Config is what a Runner needs.
type Config struct {
	Pipelines Pipelines
	Starter   trigger.Starter
	Cursors   trigger.Cursors
	// Pollers by source type ("registry", "git", "schedule", "pipeline").
	// A trigger whose source has no poller reports so and is looked at
	// again after a back-off.
	Pollers map[string]trigger.Poller
	// Reporter, when set, records each look's outcome; errors are logged
	// either way.
	Reporter Reporter
	Logger   *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ConfigEvery is how often the config's revision is looked at (default
	// 3s), and the pipelines read again when it moved; a config applied
	// through this server is read at once (ConfigChanged).
	ConfigEvery time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failed look
	// (defaults 2s and 5m), doubling with each failure in a row.
	MinBackoff, MaxBackoff time.Duration
	// PollTimeout bounds one look at a source (default 2m).
	PollTimeout time.Duration
	// ReportEvery is how often an unchanged outcome is reported again
	// (default 10m).
	ReportEvery time.Duration
}

// Default waits.
const (
	defaultConfigEvery = 3 * time.Second
	defaultMinBackoff  = 2 * time.Second
	defaultMaxBackoff  = 5 * time.Minute
	defaultPollTimeout = 2 * time.Minute
	defaultReportEvery = 10 * time.Minute
	// defaultInterval is how often a source without its own interval or
	// NextRun is looked at (registry and git: their spec's Interval).
	defaultInterval = time.Minute
)

// Runner runs one loop per polling trigger of the applied config.
type Runner struct {
	cfg     Config
	log     *slog.Logger
	changed chan struct{}
	rev     int64 // the config revision of the last read (Run's own)
	read    bool  // whether a read succeeded yet

	mu    sync.Mutex
	loops map[string]*loop
	wg    sync.WaitGroup
}

// New returns a Runner; Run starts it.
func New(cfg Config) *Runner {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ConfigEvery <= 0 {
		cfg.ConfigEvery = defaultConfigEvery
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = defaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(defaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = defaultPollTimeout
	}
	if cfg.ReportEvery <= 0 {
		cfg.ReportEvery = defaultReportEvery
	}
	return &Runner{cfg: cfg, log: cfg.Logger, changed: make(chan struct{}, 1), loops: map[string]*loop{}}
}

// ConfigChanged makes the runner read the config again now (a config was
// applied through this server); other replicas' applies are found within
// ConfigEvery.
func (r *Runner) ConfigChanged() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// Run reads the config and runs its triggers' loops until ctx ends, then
// stops every loop and returns once they have stopped.
func (r *Runner) Run(ctx context.Context) {
	tick := time.NewTicker(r.cfg.ConfigEvery)
	defer tick.Stop()
	defer r.stopAll()
	for {
		r.reload(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.changed:
		}
	}
}

// Running lists the keys of the triggers that have a loop.
func (r *Runner) Running() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(r.loops))
	for k := range r.loops {
		keys = append(keys, k)
	}
	return keys
}

// reload reads the applied pipelines, when the config moved on since the
// last read, and reconciles the loops with their triggers. A failed read
// keeps the loops as they are. Only Run calls it.
func (r *Runner) reload(ctx context.Context) {
	rev, err := r.cfg.Pipelines.ConfigRevision(ctx)
	if err == nil && r.read && rev == r.rev {
		return // one small row read, not every pipeline decoded
	}
	var pls []model.Pipeline
	if err == nil {
		pls, err = r.cfg.Pipelines.PipelineList(ctx, store.PipelineListParams{})
	}
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("could not read the pipelines; triggers keep the config read before and try again soon", "err", err)
		}
		return
	}
	r.rev, r.read = rev, true
	want := Desired(pls)
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, l := range r.loops {
		if _, ok := want[key]; !ok {
			l.cancel()
			delete(r.loops, key)
			r.log.Info("trigger removed from the config; stopped watching it", "trigger", key)
		}
	}
	for key, ref := range want {
		if l, ok := r.loops[key]; ok {
			l.update(ref)
			continue
		}
		r.log.Info("watching trigger", "trigger", key, "source", ref.Spec.Type())
		lctx, cancel := context.WithCancel(ctx)
		l := newLoop(ref, cancel)
		r.loops[key] = l
		r.wg.Go(func() { r.runLoop(lctx, l) })
	}
}

func (r *Runner) stopAll() {
	r.mu.Lock()
	for key, l := range r.loops {
		l.cancel()
		delete(r.loops, key)
	}
	r.mu.Unlock()
	r.wg.Wait()
}
