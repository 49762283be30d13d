package store

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// IncidentQueries keep incidents: periods when an application misbehaved
// in an environment (docs/kpis.md, "Incidents"). An incident is written
// once and resolved at most once; the incident_opened and
// incident_resolved events that the KPIs read are the caller's, written in
// the same transaction when these report that they wrote something.
// Incidents are history, like events: deleting an application or an
// environment (ConfigDelete) leaves its incidents.
type IncidentQueries interface {
	// IncidentInsert stores inc unless an incident with its ID exists (an
	// Alertmanager resend, an Idempotency-Key replay): then it writes
	// nothing and returns the stored incident and false. Of concurrent
	// inserts of one ID exactly one writes (a loser on PostgreSQL waits
	// until the winner's transaction ends). A zero RecordedAt is now.
	IncidentInsert(ctx context.Context, inc *model.Incident) (*model.Incident, bool, error)
	// IncidentGet returns one incident; ErrNotFound if none has the ID.
	IncidentGet(ctx context.Context, id string) (*model.Incident, error)
	// IncidentList returns incidents newest first (by StartedAt, then ID
	// descending), a page of params.PageSize() at a time.
	IncidentList(ctx context.Context, params IncidentListParams) ([]model.Incident, error)
	// IncidentResolve sets the resolution of an open incident, in one
	// conditional write: only while it is open. It returns the incident
	// after the call and whether this call resolved it; resolving a
	// resolved incident writes nothing and is not an error (false).
	// ErrNotFound if none has the ID; an error when params.At is before
	// the incident's start (the database refuses it).
	IncidentResolve(ctx context.Context, params IncidentResolveParams) (*model.Incident, bool, error)
}

// Page sizes of IncidentList.
const (
	DefaultIncidentPage = 50
	MaxIncidentPage     = 500
)

// IncidentListParams filters and pages IncidentList.
type IncidentListParams struct {
	Application string // "": any
	// Applications, when not empty, keeps only incidents of these
	// applications (what a caller may read).
	Applications []string
	Environment  string // "": any
	// OpenOnly keeps only incidents not resolved yet.
	OpenOnly bool
	Limit    int // 0: DefaultIncidentPage; at most MaxIncidentPage
	// Before, when set, returns only incidents after this cursor in the
	// newest-first order (the last one of the previous page).
	Before *IncidentCursor
}

// PageSize is the number of incidents IncidentList returns at most.
func (p IncidentListParams) PageSize() int {
	return pageSize(p.Limit, DefaultIncidentPage, MaxIncidentPage)
}

// IncidentCursor is a position in the newest-first order of incidents.
type IncidentCursor struct {
	StartedAt time.Time
	ID        string
}

// IncidentResolveParams resolves an open incident.
type IncidentResolveParams struct {
	ID string
	At time.Time
	// By is the principal recording the resolution.
	By string
}
