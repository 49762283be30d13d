// Package upstream starts a pipeline when another one ends: the Poller of
// trigger source "pipeline".
//
// It tails the delivery log's execution_finished events by ID. Event IDs
// are commit-ordered (store.Queries.EventInsert; the conformance suite's
// commit-order test), so a reader that remembers the last ID it read never
// skips an ending. Each ending of the upstream pipeline with a wanted
// status fires once, with DeliveryID the upstream execution's ID.
package upstream

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/trigger"
)

// Store is what the poller reads: the event log and executions.
type Store interface {
	EventList(ctx context.Context, params store.EventListParams) ([]model.Event, error)
	ExecutionGet(ctx context.Context, id string) (*model.Execution, error)
}

// Poller is the trigger.Poller of pipeline triggers. Its cursor is the ID
// of the last event it read ({"after": ID}).
type Poller struct {
	Store Store
	// Every is how soon after a look it wants the next (default 1s).
	Every time.Duration
}

var (
	_ trigger.Poller = (*Poller)(nil)
	_ interface {
		NextRun(trigger.Ref, time.Time) time.Time
	} = (*Poller)(nil)
)

const (
	pageSize = 100
	// maxPages bounds one look; a backlog longer than that is read on
	// the next looks, a second apart.
	maxPages = 10
)

type cursor struct {
	After int64 `json:"after"`
}

// Poll fires for the upstream pipeline's endings after the cursor. The
// first look starts at the current end of the log: executions that ended
// before the trigger existed do not fire.
func (p *Poller) Poll(ctx context.Context, ref trigger.Ref, raw []byte) ([]trigger.Firing, []byte, error) {
	spec := ref.Spec.Pipeline
	if spec == nil {
		return nil, nil, fmt.Errorf("trigger %s has no pipeline block; this is a bug, please report it", ref.Key())
	}
	app := cmp.Or(spec.Application, ref.Pipeline.Application)
	wanted := spec.Status
	if len(wanted) == 0 {
		wanted = []model.ExecutionStatus{model.ExecutionSucceeded}
	}
	// The newest ID before reading: every event up to it has committed
	// (commit order), so a look that reads all matching events after the
	// cursor may move the cursor up to it, past other applications' events.
	newest, err := p.newestID(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("trigger %s: reading the event log: %w", ref.Key(), err)
	}
	var c cursor
	if raw == nil || json.Unmarshal(raw, &c) != nil {
		return nil, encode(newest), nil
	}
	if newest <= c.After {
		return nil, raw, nil
	}
	var firings []trigger.Firing
	after := c.After
	for range maxPages {
		evs, err := p.Store.EventList(ctx, store.EventListParams{
			Application: app, Kinds: []model.EventKind{model.EventExecutionFinished}, AfterID: after, Limit: pageSize,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("trigger %s: reading the event log: %w", ref.Key(), err)
		}
		for _, ev := range evs {
			f, ok, err := p.ended(ctx, ref, spec.Pipeline, wanted, ev)
			if err != nil {
				return nil, nil, fmt.Errorf("trigger %s: %w", ref.Key(), err)
			}
			if ok {
				firings = append(firings, f)
			}
			after = ev.ID
		}
		if len(evs) < pageSize {
			after = max(after, newest)
			break
		}
	}
	return firings, encode(after), nil
}

// NextRun is a second after now: an upstream ending starts its
// downstream within about a second.
func (p *Poller) NextRun(_ trigger.Ref, now time.Time) time.Time {
	if p.Every > 0 {
		return now.Add(p.Every)
	}
	return now.Add(time.Second)
}

func (p *Poller) newestID(ctx context.Context) (int64, error) {
	evs, err := p.Store.EventList(ctx, store.EventListParams{Newest: true, Limit: 1})
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	return evs[len(evs)-1].ID, nil
}

// ended turns an execution_finished event into a firing when it is an
// ending of the upstream pipeline with a wanted status.
func (p *Poller) ended(ctx context.Context, ref trigger.Ref, pipeline string, wanted []model.ExecutionStatus, ev model.Event) (trigger.Firing, bool, error) {
	status, ok := FinishedStatus(ev.Detail)
	if !ok || !slices.Contains(wanted, status) || ev.ExecutionID == "" {
		return trigger.Firing{}, false, nil
	}
	exec, err := p.Store.ExecutionGet(ctx, ev.ExecutionID)
	if errors.Is(err, store.ErrNotFound) {
		return trigger.Firing{}, false, nil // deleted with its application since
	}
	if err != nil {
		return trigger.Firing{}, false, fmt.Errorf("reading upstream execution %s: %w", ev.ExecutionID, err)
	}
	if exec.Pipeline != pipeline {
		return trigger.Firing{}, false, nil
	}
	return Firing(ref, exec, status), true, nil
}

// FinishedStatus reads the status an execution_finished event's Detail
// starts with ("succeeded", "failed: REASON", "canceled: REASON").
func FinishedStatus(detail string) (model.ExecutionStatus, bool) {
	s, _, _ := strings.Cut(detail, ":")
	switch st := model.ExecutionStatus(strings.TrimSpace(s)); st {
	case model.ExecutionSucceeded, model.ExecutionFailed, model.ExecutionCanceled:
		return st, true
	}
	return "", false
}

func encode(after int64) []byte {
	b, _ := json.Marshal(cursor{After: after}) // an int always marshals
	return b
}
