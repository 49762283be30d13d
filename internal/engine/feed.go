package engine

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// The feed publishes the outbox (store.Change rows, written with every
// change) on the Bus in commit order, so every server's live views see
// every change, whichever server made it. It reads the outbox only while
// the bus has subscribers (an open live view): a commit on this server
// wakes it at once; with several replicas, changes made elsewhere arrive
// within feedPoll, which it polls only while someone watches. On a single
// node every change is made here, so it never polls.
const (
	feedPoll   = 250 * time.Millisecond
	feedGather = 20 * time.Millisecond
	// changeRetention is how long the outbox keeps a change: long enough
	// for a stream that reconnects to catch up (Last-Event-ID).
	changeRetention = time.Hour
)

func (e *Engine) feedLoop(ctx context.Context, last int64) {
	defer close(e.fed)
	var poll <-chan time.Time
	if !e.cfg.SingleNode {
		t := time.NewTicker(feedPoll)
		defer t.Stop()
		poll = t.C
	}
	prune := time.NewTicker(changeRetention / 6)
	defer prune.Stop()
	e.pruneChanges(ctx)
	unwatched := !e.bus.Watched()
	for {
		if unwatched {
			// Nobody to tell: wait for a subscriber, then start from the
			// newest change. A change committed between the view's own
			// first read and this one is not published: the Lost update
			// below makes every view read again after it.
			select {
			case <-ctx.Done():
				return
			case <-prune.C:
				e.pruneChanges(ctx)
				continue
			case <-e.changed:
				continue
			case <-e.bus.watched:
			}
			newest, err := e.store.ChangeLast(ctx)
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("could not read the change outbox; live views wait for the next try", "err", err)
				}
				continue
			}
			last, unwatched = max(last, newest), false
			e.bus.Publish(Update{Lost: true})
		}
		select {
		case <-ctx.Done():
			return
		case <-prune.C:
			e.pruneChanges(ctx)
			continue
		case <-e.changed:
			// Under load commits come faster than views need them: gather
			// those of the next moment into one read of the outbox.
			time.Sleep(feedGather)
		case <-poll:
		}
		e.publishChanges(ctx, &last)
		unwatched = !e.bus.Watched()
	}
}

// publishChanges publishes the changes after *last and moves it on.
func (e *Engine) publishChanges(ctx context.Context, last *int64) {
	for {
		changes, err := e.store.ChangeList(ctx, store.ChangeListParams{AfterID: *last, Limit: 1000})
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("could not read the change outbox; live views wait for the next try", "err", err)
			}
			return
		}
		for _, c := range changes {
			e.bus.Publish(Update{ID: c.ID, ExecutionID: c.ExecutionID, Application: c.Application, Stage: c.Stage, Status: c.Status})
			*last = c.ID
		}
		if len(changes) < 1000 {
			return
		}
	}
}

// pruneChanges deletes the outbox's changes older than changeRetention.
func (e *Engine) pruneChanges(ctx context.Context) {
	if _, err := e.store.ChangeDeleteBefore(ctx, e.now().Add(-changeRetention)); err != nil && ctx.Err() == nil {
		e.log.Warn("could not delete old entries of the change outbox; trying again later", "err", err)
	}
}
