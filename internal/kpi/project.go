package kpi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// Document kinds of the fold (store.KPIQueries).
const (
	docLane     = "lane"     // key: application/environment
	docExec     = "exec"     // key: execution ID
	docIncident = "incident" // key: incident ID; the lane it was attributed in
	docApp      = "app"      // key: application/environment; its first deploy there
	docExecGC   = "execgc"   // key: a day; the executions that finished that day
)

// keepFinished is how long an execution's record outlives its end (a
// retry reopens it; a cancel's abort ends its deploy after it).
const keepFinished = 8 * 24 * time.Hour

// ProjectorConfig configures a Projector.
type ProjectorConfig struct {
	Store  store.Store
	Logger *slog.Logger
	// Poll is how often the log is read when idle (default 1 s).
	Poll time.Duration
	// Batch is the events folded per transaction (default 500).
	Batch int
	// Metrics, when set, is told what each committed batch learned.
	Metrics *Metrics
}

// Projector folds the event log into the KPI rollups.
type Projector struct {
	cfg ProjectorConfig
	log *slog.Logger
	// seen is the cursor as this projector last saw it: while no event
	// comes after it, a step opens no transaction (an idle server writes
	// nothing).
	seen int64
	// swept is the day finished executions' records were last dropped up to.
	swept time.Time
}

// NewProjector returns a Projector; Run or CatchUp drive it.
func NewProjector(cfg ProjectorConfig) *Projector {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	return &Projector{cfg: cfg, log: cfg.Logger}
}

// Run folds until ctx ends, reading the log every Poll.
func (p *Projector) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := p.CatchUp(ctx); err != nil && ctx.Err() == nil {
			p.log.WarnContext(ctx, "kpi: folding the event log", "err", err)
		}
		t.Reset(p.cfg.Poll)
	}
}

// CatchUp folds every event recorded so far, a batch per transaction.
func (p *Projector) CatchUp(ctx context.Context) error {
	for {
		n, err := p.step(ctx)
		if err != nil {
			return err
		}
		if n < p.cfg.Batch {
			return nil
		}
	}
}

// step folds the next batch in one transaction and reports its size.
func (p *Projector) step(ctx context.Context) (int, error) {
	newer, err := p.cfg.Store.EventList(ctx, store.EventListParams{AfterID: p.seen, Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("kpi: reading events after %d: %w", p.seen, err)
	}
	if len(newer) == 0 {
		return 0, nil
	}
	envs, err := p.cfg.Store.EnvironmentList(ctx)
	if err != nil {
		return 0, fmt.Errorf("kpi: listing environments: %w", err)
	}
	prod := map[string]bool{}
	for _, e := range envs {
		prod[e.Name] = e.Production
	}
	var b *batch
	n, seen, swept := 0, p.seen, p.swept
	err = p.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		cursor, err := tx.KPICursorLock(ctx)
		if err != nil {
			return err
		}
		evs, err := tx.EventList(ctx, store.EventListParams{AfterID: cursor, Limit: p.cfg.Batch})
		if err != nil {
			return fmt.Errorf("kpi: reading events after %d: %w", cursor, err)
		}
		n = len(evs)
		if n == 0 {
			seen = cursor // another replica folded them
			return nil
		}
		seen = evs[n-1].ID
		b = newBatch(ctx, tx, prod)
		for _, ev := range evs {
			b.event = ev.ID
			fold(b, ev)
			if b.err != nil {
				return fmt.Errorf("kpi: folding event %d (%s): %w", ev.ID, ev.Kind, b.err)
			}
		}
		if err := b.flush(evs[n-1].Time); err != nil {
			return err
		}
		if day := Day(evs[n-1].Time); day.After(p.swept) {
			if err := b.sweep(day.Add(-keepFinished)); err != nil {
				return err
			}
			swept = day
		}
		return tx.KPICursorSet(ctx, evs[n-1].ID)
	})
	if err != nil {
		return 0, err
	}
	p.seen, p.swept = seen, swept
	if b != nil && p.cfg.Metrics != nil {
		p.cfg.Metrics.record(b.observed, b.event)
	}
	return n, nil
}

// batch is the fold's state for one transaction: documents are read from
// the store when first needed and written back once, at the end.
type batch struct {
	ctx   context.Context
	tx    store.Tx
	prod  map[string]bool
	event int64
	err   error

	lanes     map[string]*lane
	execs     map[string]*execRec // nil value: known not to exist, or ended
	execDirty map[string]bool
	incidents map[string]*[2]string // nil value: resolved
	days      map[store.KPIDayKey]*dayRec
	actors    map[store.KPIActor]bool
	firstLive map[string]time.Time
	finished  map[string][]string // day → executions that finished then
	observed  []observation
}

func newBatch(ctx context.Context, tx store.Tx, prod map[string]bool) *batch {
	return &batch{ctx: ctx, tx: tx, prod: prod, lanes: map[string]*lane{}, execs: map[string]*execRec{}, execDirty: map[string]bool{},
		incidents: map[string]*[2]string{}, days: map[store.KPIDayKey]*dayRec{}, actors: map[store.KPIActor]bool{}, firstLive: map[string]time.Time{},
		finished: map[string][]string{}}
}

func (b *batch) production(env string) bool { return b.prod[env] }

func (b *batch) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// load reads one document into v; false when there is none.
func (b *batch) load(kind, key string, v any) bool {
	docs, err := b.tx.KPIDocGet(b.ctx, kind, []string{key})
	if err != nil {
		b.fail(err)
		return false
	}
	doc, ok := docs[key]
	if !ok {
		return false
	}
	if err := json.Unmarshal(doc, v); err != nil {
		b.fail(fmt.Errorf("reading %s document %q: %w", kind, key, err))
		return false
	}
	return true
}

func laneKey(app, env string) string { return app + "/" + env } // names hold no "/"

func (b *batch) lane(app, env string) *lane {
	k := laneKey(app, env)
	if l, ok := b.lanes[k]; ok {
		return l
	}
	l := &lane{}
	b.load(docLane, k, l)
	b.lanes[k] = l
	return l
}

func (b *batch) exec(id string) *execRec {
	if id == "" {
		return nil
	}
	if x, ok := b.execs[id]; ok {
		return x
	}
	x := &execRec{}
	if !b.load(docExec, id, x) {
		x = nil
	}
	// Whoever asks may change it: write it back.
	b.execs[id], b.execDirty[id] = x, x != nil
	return x
}

func (b *batch) startExec(id, app string) *execRec {
	x := &execRec{App: app}
	b.execs[id], b.execDirty[id] = x, true
	return x
}

func (b *batch) endExec(id string, t time.Time) {
	day := Day(t).Format(time.DateOnly)
	b.finished[day] = append(b.finished[day], id)
}

func (b *batch) day(t time.Time, app, env string) *dayRec {
	k := store.KPIDayKey{Day: Day(t), Application: app, Environment: env}
	if r, ok := b.days[k]; ok {
		return r
	}
	r := &dayRec{}
	got, err := b.tx.KPIDayGet(b.ctx, []store.KPIDayKey{k})
	if err != nil {
		b.fail(err)
	}
	if len(got) == 1 {
		if err := decodeDay(got[0], r); err != nil {
			b.fail(err)
		}
	}
	b.days[k] = r
	return r
}

func decodeDay(d store.KPIDay, r *dayRec) error {
	if err := json.Unmarshal(d.Counts, &r.dayCounts); err != nil {
		return fmt.Errorf("reading the rollup of %s %s %s: %w", d.Application, d.Environment, d.Day.Format(time.DateOnly), err)
	}
	return unpackValues(d.Values, &r.Lead, &r.Recovery)
}

func (b *batch) incident(ref string) (string, string, bool) {
	if v, ok := b.incidents[ref]; ok {
		if v == nil {
			return "", "", false
		}
		return v[0], v[1], true
	}
	var v [2]string
	if !b.load(docIncident, ref, &v) {
		b.incidents[ref] = nil
		return "", "", false
	}
	b.incidents[ref] = &v
	return v[0], v[1], true
}

func (b *batch) setIncident(ref, app, env string, on bool) {
	if on {
		b.incidents[ref] = &[2]string{app, env}
	} else {
		b.incidents[ref] = nil
	}
}

func (b *batch) active(t time.Time, app, actor string) {
	if person(actor) {
		b.actors[store.KPIActor{Day: Day(t), Application: app, Actor: actor}] = true // stamped when written
	}
}

func (b *batch) live(app, env string, t time.Time) {
	k := laneKey(app, env)
	if f, ok := b.firstLive[k]; !ok || t.Before(f) {
		b.firstLive[k] = t
	}
}

func (b *batch) observe(o observation) { b.observed = append(b.observed, o) }

// flush writes back everything the batch changed; now is its newest
// event's time, from which lanes are pruned.
func (b *batch) flush(now time.Time) error {
	if b.err != nil {
		return b.err
	}
	docs := map[string]map[string][]byte{docLane: {}, docExec: {}, docIncident: {}, docApp: {}, docExecGC: {}}
	if len(b.finished) > 0 {
		days := make([]string, 0, len(b.finished))
		for d := range b.finished {
			days = append(days, d)
		}
		have, err := b.tx.KPIDocGet(b.ctx, docExecGC, days)
		if err != nil {
			return err
		}
		for d, ids := range b.finished {
			var all []string
			if doc, ok := have[d]; ok {
				if err := json.Unmarshal(doc, &all); err != nil {
					return fmt.Errorf("kpi: reading the executions finished on %s: %w", d, err)
				}
			}
			docs[docExecGC][d] = mustJSON(append(all, ids...))
		}
	}
	horizon := now.Add(-8 * 24 * time.Hour)
	for k, l := range b.lanes {
		l.prune(horizon)
		docs[docLane][k] = mustJSON(l)
	}
	for id := range b.execDirty {
		if x := b.execs[id]; x != nil {
			docs[docExec][id] = mustJSON(x)
		} else {
			docs[docExec][id] = nil
		}
	}
	for ref, v := range b.incidents {
		if v != nil {
			docs[docIncident][ref] = mustJSON(v)
		} else {
			docs[docIncident][ref] = nil // resolved, or never attributed
		}
	}
	if len(b.firstLive) > 0 {
		keys := make([]string, 0, len(b.firstLive))
		for k := range b.firstLive {
			keys = append(keys, k)
		}
		have, err := b.tx.KPIDocGet(b.ctx, docApp, keys)
		if err != nil {
			return err
		}
		for app, t := range b.firstLive {
			var old time.Time
			if doc, ok := have[app]; ok && json.Unmarshal(doc, &old) == nil && !t.Before(old) {
				continue
			}
			docs[docApp][app] = mustJSON(t)
		}
	}
	for kind, m := range docs {
		if len(m) == 0 {
			continue
		}
		if err := b.tx.KPIDocPut(b.ctx, kind, m); err != nil {
			return err
		}
	}
	days := make([]store.KPIDay, 0, len(b.days))
	for k, r := range b.days {
		days = append(days, store.KPIDay{KPIDayKey: k, Counts: mustJSON(r.dayCounts), Values: packValues(r.Lead, r.Recovery), Event: b.event})
	}
	if err := b.tx.KPIDayPut(b.ctx, days); err != nil {
		return err
	}
	actors := make([]store.KPIActor, 0, len(b.actors))
	for a := range b.actors {
		a.Event = b.event
		actors = append(actors, a)
	}
	return b.tx.KPIActorAdd(b.ctx, actors)
}

// sweep drops the records of executions that finished before cutoff
// (those this batch touched stay: they were written back).
func (b *batch) sweep(cutoff time.Time) error {
	lists, err := b.tx.KPIDocList(b.ctx, docExecGC)
	if err != nil {
		return err
	}
	drop := map[string][]byte{}
	gone := map[string][]byte{}
	for day, doc := range lists {
		t, err := time.Parse(time.DateOnly, day)
		if err != nil || !t.Before(Day(cutoff)) {
			continue
		}
		var ids []string
		if err := json.Unmarshal(doc, &ids); err != nil {
			return fmt.Errorf("kpi: reading the executions finished on %s: %w", day, err)
		}
		for _, id := range ids {
			if _, touched := b.execs[id]; !touched {
				drop[id] = nil
			}
		}
		gone[day] = nil
	}
	if len(drop) > 0 {
		if err := b.tx.KPIDocPut(b.ctx, docExec, drop); err != nil {
			return err
		}
	}
	if len(gone) > 0 {
		return b.tx.KPIDocPut(b.ctx, docExecGC, gone)
	}
	return nil
}

func mustJSON(v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		panic(errors.Join(errors.New("kpi: encoding a fold document"), err))
	}
	return out
}

var _ foldState = (*batch)(nil)
