package store

import (
	"context"
	"time"
)

// KPIQueries keep the delivery KPIs' rollups (internal/kpi): the fold's
// cursor over the event log, its working documents, one rollup per
// application, environment and day, and who was active when. The store
// keeps the documents opaque: the kpi package owns their format.
type KPIQueries interface {
	// KPICursorLock returns the last event the fold has taken in and, in
	// a transaction, holds it until the transaction ends (PostgreSQL's row
	// lock; SQLite's one writer holds it anyway): of several replicas
	// folding at once, one folds each event.
	KPICursorLock(ctx context.Context) (int64, error)
	// KPICursorSet moves the cursor to eventID.
	KPICursorSet(ctx context.Context, eventID int64) error
	// KPIDocGet returns the documents of kind with these keys (those
	// that exist).
	KPIDocGet(ctx context.Context, kind string, keys []string) (map[string][]byte, error)
	// KPIDocList returns every document of kind, by key (kinds with few
	// documents only: one per application).
	KPIDocList(ctx context.Context, kind string) (map[string][]byte, error)
	// KPIDocPut writes documents of kind by key; a nil document deletes.
	KPIDocPut(ctx context.Context, kind string, docs map[string][]byte) error
	// KPIDayGet returns the rollups with these keys (those that exist).
	KPIDayGet(ctx context.Context, keys []KPIDayKey) ([]KPIDay, error)
	// KPIDayPut writes rollups, stamping each with the event that changed
	// it last.
	KPIDayPut(ctx context.Context, days []KPIDay) error
	// KPIDayList returns the rollups of the days in [From, To), filtered.
	KPIDayList(ctx context.Context, params KPIDayListParams) ([]KPIDay, error)
	// KPIDayChanged returns up to limit rollups last changed by an event
	// after afterEvent, by that event (a cache's refresh: rollups are
	// written in event order, so none with a smaller stamp commits later).
	KPIDayChanged(ctx context.Context, afterEvent int64, limit int) ([]KPIDay, error)
	// KPIActorAdd records that actors were active (a row per day,
	// application and actor, stamped with its Event; repeats change
	// nothing, not even the stamp).
	KPIActorAdd(ctx context.Context, rows []KPIActor) error
	// KPIActorList returns who was active on the days in [from, to).
	KPIActorList(ctx context.Context, from, to time.Time) ([]KPIActor, error)
	// KPIActorChanged returns up to limit actor rows added by an event
	// after afterEvent, by that event (as KPIDayChanged).
	KPIActorChanged(ctx context.Context, afterEvent int64, limit int) ([]KPIActor, error)
}

// KPIDayKey names one rollup: a UTC day (midnight), an application ("" for
// what belongs to none) and an environment.
type KPIDayKey struct {
	Day         time.Time
	Application string
	Environment string
}

// KPIDay is one rollup: Counts is the kpi package's JSON, Values its
// packed durations; Event is the last event folded into it.
type KPIDay struct {
	KPIDayKey
	Counts []byte
	Values []byte
	Event  int64
}

// KPIDayListParams filters KPIDayList.
type KPIDayListParams struct {
	From, To time.Time
	// Applications, when not nil, keeps only these (at most
	// MaxKPIApplications); Environments likewise.
	Applications []string
	Environments []string
}

// KPIActor is an actor active on a day in an application; Event is the
// event folded when the row was added.
type KPIActor struct {
	Day         time.Time
	Application string
	Actor       string
	Event       int64
}

// MaxKPIApplications bounds a KPIDayListParams filter.
const MaxKPIApplications = 10000
