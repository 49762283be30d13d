package store

import (
	"context"
	"time"
)

// TriggerQueries keep what pipeline triggers did: the deliveries that
// started an execution (each at most once), and each trigger's run-time
// state (paused, its source's cursor, its last firing).
type TriggerQueries interface {
	// TriggerClaim records that delivery params.DeliveryID of trigger
	// params.Key starts execution params.ExecutionID, unless the delivery
	// was claimed already: then it writes nothing and returns the earlier
	// claim's execution ID and false. Make it in the transaction that
	// inserts the execution, so a claim and its execution commit together.
	// Of concurrent claims of one delivery exactly one wins, and every
	// loser gets the winner's execution ID (a loser on PostgreSQL waits
	// until the winner's transaction ends).
	TriggerClaim(ctx context.Context, params TriggerClaimParams) (executionID string, claimed bool, err error)
	// TriggerFiringGet returns the execution delivery deliveryID of trigger
	// key started, and false when none did (yet).
	TriggerFiringGet(ctx context.Context, key, deliveryID string) (executionID string, found bool, err error)
	// TriggerStateGet returns a trigger's state; a trigger with none yet
	// has the zero state (not paused, no cursor), not ErrNotFound.
	TriggerStateGet(ctx context.Context, key string) (TriggerState, error)
	// TriggerStateList returns every stored trigger state by key.
	TriggerStateList(ctx context.Context) ([]TriggerState, error)
	// TriggerPauseSet pauses or resumes a trigger at run time.
	TriggerPauseSet(ctx context.Context, params TriggerPauseParams) error
	// TriggerCursorSet stores a source's cursor for a trigger (opaque
	// bytes; nil clears it).
	TriggerCursorSet(ctx context.Context, key string, cursor []byte) error
	// TriggerFiredSet records how a trigger's last firing (or look at its
	// source) went: FiredAt (when set) becomes its last start, LookedAt
	// (when set) its last look, and Error its last error ("" when it went
	// well).
	TriggerFiredSet(ctx context.Context, params TriggerFiredParams) error
}

// TriggerClaimParams claims one delivery of a trigger for an execution.
type TriggerClaimParams struct {
	Key, DeliveryID, ExecutionID string
	At                           time.Time // zero: now
}

// TriggerState is a trigger's run-time state.
type TriggerState struct {
	Key    string `json:"key"`
	Paused bool   `json:"paused"`
	// PausedBy and PausedAt say who paused it (kept after a resume, as
	// who touched it last).
	PausedBy string     `json:"pausedBy,omitempty"`
	PausedAt *time.Time `json:"pausedAt,omitempty"`
	// Cursor is the source's position (its own JSON; nil when none).
	Cursor      []byte     `json:"-"`
	LastFiredAt *time.Time `json:"lastFiredAt,omitempty"`
	LastError   string     `json:"lastError,omitempty"`
	// LookedAt is when a polling source was last looked at, as its
	// runner reports it: when a look's outcome changes (the first look, an
	// error, a recovery) and at least every 10 minutes.
	LookedAt  *time.Time `json:"lookedAt,omitempty"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

// TriggerPauseParams pauses (Paused) or resumes a trigger.
type TriggerPauseParams struct {
	Key    string
	Paused bool
	By     string
	At     time.Time // zero: now
}

// TriggerFiredParams records a firing's outcome.
type TriggerFiredParams struct {
	Key     string
	FiredAt *time.Time
	Error   string
	// LookedAt, when set, records a look at the trigger's polling source.
	LookedAt *time.Time
}
