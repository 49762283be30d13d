package stage

import (
	"context"
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Write is one store change a runner asks for, as data. A runner never
// writes the store itself: it returns its writes in Result.Writes, and the
// engine applies them in the transaction that stores the result, so the
// stage's new state and what it recorded about the world commit together
// or not at all.
type Write interface {
	// Apply makes the change in tx. store.ErrConflict means the change lost
	// a race (a name taken, a guarded status moved): the engine then drops
	// the whole result and runs the step again with the state unchanged.
	Apply(ctx context.Context, tx WriteTx) error
}

// WriteTx is the part of a store transaction (store.Tx) that writes use.
type WriteTx interface {
	ServerGroupInsert(ctx context.Context, sg *model.ServerGroup) error
	ServerGroupUpdate(ctx context.Context, params store.ServerGroupUpdateParams) error
	AnalysisInsert(ctx context.Context, rec *store.AnalysisRecord) error
	LeaseAcquire(ctx context.Context, key string, holder store.LeaseHolder) (store.LeaseHolder, bool, error)
}

var _ WriteTx = store.Tx(nil)

// ServerGroupInsert records a new server group. It fails with
// store.ErrConflict when the name or sequence is taken (another deploy of
// the application took it first); the runner then picks another on its
// next call.
type ServerGroupInsert struct {
	Group model.ServerGroup
}

// Apply implements Write.
func (w ServerGroupInsert) Apply(ctx context.Context, tx WriteTx) error {
	sg := w.Group
	return tx.ServerGroupInsert(ctx, &sg)
}

// ServerGroupUpdate changes the non-nil fields of one server group, guarded
// by Params.From when set (store.ErrConflict when its status moved).
type ServerGroupUpdate struct {
	Params store.ServerGroupUpdateParams
}

// Apply implements Write.
func (w ServerGroupUpdate) Apply(ctx context.Context, tx WriteTx) error {
	return tx.ServerGroupUpdate(ctx, w.Params)
}

// AnalysisInsert stores one judged interval of a canary analysis. A record
// already stored under the same sequence is the same interval stored by an
// earlier run of the step, so storing it again is a no-op, never a conflict.
type AnalysisInsert struct {
	Record store.AnalysisRecord
}

// Apply implements Write.
func (w AnalysisInsert) Apply(ctx context.Context, tx WriteTx) error {
	rec := w.Record
	if err := tx.AnalysisInsert(ctx, &rec); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}

// ApplyWrites applies writes in order in tx and stops at the first error,
// saying which write failed; errors.Is(err, store.ErrConflict) tells a lost
// race (run the step again) from a broken store.
func ApplyWrites(ctx context.Context, tx WriteTx, writes []Write) error {
	for i, w := range writes {
		if err := w.Apply(ctx, tx); err != nil {
			return fmt.Errorf("write %d of %d (%T): %w", i+1, len(writes), w, err)
		}
	}
	return nil
}

// LeaseTake takes the lease Key for Holder (a deploy's application and
// environment, for the stage that changes it). It fails with
// store.ErrConflict when another stage that has not ended holds it: the
// step is then made again, and sees whom it waits for.
type LeaseTake struct {
	Key    string
	Holder store.LeaseHolder
}

// Apply implements Write.
func (w LeaseTake) Apply(ctx context.Context, tx WriteTx) error {
	cur, ok, err := tx.LeaseAcquire(ctx, w.Key, w.Holder)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: lease %s is held by execution %s stage %s", store.ErrConflict, w.Key, cur.ExecutionID, cur.Stage)
	}
	return nil
}
