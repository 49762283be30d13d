package eval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/store"
)

// Store is what the evaluator reads and writes. SLOList is
// store.SLOConfigQueries' (the resolved OpenSLO SLOs of the applied
// config); the applications' shorthand SLOs come from ApplicationList.
type Store interface {
	ApplicationList(ctx context.Context, params store.ApplicationListParams) ([]model.Application, error)
	SLOList(ctx context.Context) ([]model.SLO, error)
	SLOStatusList(ctx context.Context) ([]model.SLOStatus, error)
	SLOStatusDelete(ctx context.Context, name string) error
	SLOPointAdd(ctx context.Context, pts []store.SLOPoint) error
	SLOPointDeleteBefore(ctx context.Context, before time.Time) (int64, error)
	SLOLeaseAcquire(ctx context.Context, holder string, now time.Time, ttl time.Duration) (bool, error)
	// InTx writes a status and the events of its alerts together.
	InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error
}

// Defaults of Config.
const (
	DefaultInterval   = 30 * time.Second
	DefaultPointEvery = 5 * time.Minute
	// PointRetention keeps a year of history points, and a quarter's slack.
	PointRetention = 400 * 24 * time.Hour
)

// Config configures an Evaluator.
type Config struct {
	Store Store
	// Sources count SLIs by metric source (model.SLOSourcePrometheus,
	// model.SLOSourceFrontDoor); an SLO whose source is missing gets an
	// error in its status.
	Sources map[string]slo.Source
	// Interval is how often SLOs are evaluated (default 30 s).
	Interval time.Duration
	// PointEvery is the history's resolution (default 5 min): a point per
	// SLO and slot of PointEvery, written by the slot's first evaluation.
	PointEvery time.Duration
	// Holder names this replica in the lease (default host and pid).
	Holder  string
	Logger  *slog.Logger
	Metrics *Metrics         // nil: none
	Now     func() time.Time // default time.Now
}

// Evaluator evaluates every configured SLO every Interval.
type Evaluator struct {
	cfg    Config
	pruned time.Time
	leader bool
}

// New returns an evaluator of cfg, with its defaults filled in.
func New(cfg Config) *Evaluator {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.PointEvery <= 0 {
		cfg.PointEvery = DefaultPointEvery
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		cfg.Holder = host + "/" + strconv.Itoa(os.Getpid())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Evaluator{cfg: cfg}
}

// Run evaluates every Interval until ctx ends.
func (e *Evaluator) Run(ctx context.Context) {
	tick := time.NewTicker(e.cfg.Interval)
	defer tick.Stop()
	for {
		if _, err := e.Round(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Warn("could not evaluate the SLOs; trying again next round", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Round evaluates every SLO once if this replica holds (or takes) the
// evaluator's lease, and reports whether it did. An SLO that cannot be
// evaluated gets the reason in its status; the others go on.
func (e *Evaluator) Round(ctx context.Context) (bool, error) {
	start := e.cfg.Now()
	ok, err := e.cfg.Store.SLOLeaseAcquire(ctx, e.cfg.Holder, start, 3*e.cfg.Interval)
	if err != nil {
		return false, err
	}
	if !ok {
		return e.lostLease(), nil
	}
	e.leader = true
	apps, err := e.cfg.Store.ApplicationList(ctx, store.ApplicationListParams{})
	if err != nil {
		return true, fmt.Errorf("listing the applications: %w", err)
	}
	explicit, err := e.cfg.Store.SLOList(ctx)
	if err != nil {
		return true, fmt.Errorf("listing the SLOs: %w", err)
	}
	prevList, err := e.cfg.Store.SLOStatusList(ctx)
	if err != nil {
		return true, fmt.Errorf("reading the SLOs' statuses: %w", err)
	}
	prev := make(map[string]model.SLOStatus, len(prevList))
	for _, p := range prevList {
		prev[p.Name] = p
	}
	slos := model.ConfigSLOs(apps, explicit)
	var pts []store.SLOPoint
	failed := 0
	for _, s := range slos {
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		p, had := prev[s.Name]
		delete(prev, s.Name)
		st := e.evaluate(ctx, s, p, had, start)
		if st.Error != "" {
			failed++
		}
		if err := e.commit(ctx, st, Transitions(s, p.Alerts, st.Alerts, st.EvaluatedAt)); errors.Is(err, errLeaseLost) {
			return e.lostLease(), nil
		} else if err != nil {
			e.cfg.Logger.Warn("could not store an SLO's evaluation; trying again next round", "slo", s.Name, "err", err)
			failed++
			continue
		}
		e.cfg.Metrics.set(st)
		if pt, ok := point(st, e.cfg.PointEvery); ok && st.Error == "" {
			pts = append(pts, pt)
		}
	}
	// SLOs no longer configured: their alerts resolve, their records go.
	for name, p := range prev {
		gone := model.SLO{Name: name, Application: p.Application, Environment: p.Environment}
		if err := e.commit(ctx, model.SLOStatus{}, Transitions(gone, p.Alerts, nil, start)); errors.Is(err, errLeaseLost) {
			return e.lostLease(), nil
		} else if err != nil {
			e.cfg.Logger.Warn("could not record that a removed SLO's alerts resolved", "slo", name, "err", err)
			continue
		}
		if err := e.cfg.Store.SLOStatusDelete(ctx, name); err != nil {
			e.cfg.Logger.Warn("could not delete a removed SLO's status", "slo", name, "err", err)
		}
		e.cfg.Metrics.drop(name)
	}
	if err := e.cfg.Store.SLOPointAdd(ctx, pts); err != nil {
		e.cfg.Logger.Warn("could not store the SLOs' history points", "err", err)
	}
	if start.Sub(e.pruned) >= 24*time.Hour {
		if _, err := e.cfg.Store.SLOPointDeleteBefore(ctx, start.Add(-PointRetention)); err != nil {
			e.cfg.Logger.Warn("could not delete old SLO history points", "err", err)
		} else {
			e.pruned = start
		}
	}
	took := e.cfg.Now().Sub(start)
	e.cfg.Metrics.round(took, len(slos), failed)
	if took > e.cfg.Interval {
		e.cfg.Logger.Warn("evaluating the SLOs took longer than the interval", "took", took, "interval", e.cfg.Interval, "slos", len(slos))
	}
	return true, nil
}

// errLeaseLost stops a round whose replica no longer holds the lease.
var errLeaseLost = errors.New("another replica took the SLO evaluator's lease during this round")

// lostLease notes that another replica evaluates the SLOs now; it reports
// false, for Round.
func (e *Evaluator) lostLease() bool {
	if e.leader {
		e.cfg.Logger.Info("another replica evaluates the SLOs now")
		e.cfg.Metrics.forget()
	}
	e.leader = false
	return false
}

// commit stores a status (unless st has no name) and appends the alerts'
// events, in one transaction, so an alert's event is never lost nor told
// twice across a crash. The transaction renews the lease first and writes
// only while this replica holds it: a round that outlived its lease (a
// replica paused longer than the lease's TTL) cannot write over, or
// announce alerts beside, the replica that took over.
func (e *Evaluator) commit(ctx context.Context, st model.SLOStatus, events []model.Event) error {
	if st.Name == "" && len(events) == 0 {
		return nil
	}
	return e.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		held, err := tx.SLOLeaseAcquire(ctx, e.cfg.Holder, e.cfg.Now(), 3*e.cfg.Interval)
		if err != nil {
			return fmt.Errorf("renewing the evaluator's lease: %w", err)
		}
		if !held {
			return errLeaseLost
		}
		if st.Name != "" {
			if err := tx.SLOStatusPut(ctx, st); err != nil {
				return err
			}
		}
		for i := range events {
			if err := tx.EventInsert(ctx, &events[i]); err != nil {
				return fmt.Errorf("slo %s: appending the event of alert %s: %w", events[i].Ref, events[i].Action, err)
			}
		}
		return nil
	})
}

// point is a status's history point, in the slot of every PointEvery
// that st falls in: the slot's first evaluation writes it, later ones in
// the slot (another replica's, after a restart) are ignored by the store.
func point(st model.SLOStatus, every time.Duration) (store.SLOPoint, bool) {
	if len(st.Objectives) == 0 {
		return store.SLOPoint{}, false
	}
	o := st.Objectives[0]
	pt := store.SLOPoint{SLO: st.Name, At: st.EvaluatedAt.Truncate(every), Good: o.Good, Total: o.Total, BudgetRemaining: o.BudgetRemaining}
	if len(st.BurnRates) > 0 {
		pt.BurnRate = st.BurnRates[0].Rate
	}
	return pt, true
}
