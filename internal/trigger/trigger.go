// Package trigger starts pipelines by themselves: from signed webhooks, new
// image tags, new git commits, cron schedules and the end of other
// pipelines.
//
// Every source turns what it saw into a Firing and hands it to a Starter,
// which starts the trigger's pipeline at most once per (trigger, delivery
// ID): the claim of the delivery ID is written in the same transaction as
// the execution, so a replayed webhook, two replicas polling the same
// registry, or a restart between a start and a saved cursor never start a
// pipeline twice. Sources keep their position (the tags seen, the last
// commit, the last tick) in Cursors, but correctness never rests on a
// cursor: it only saves work.
package trigger

import (
	"context"

	"github.com/gennaker/gennaker/internal/model"
)

// Ref names one trigger of the applied config with its pipeline.
type Ref struct {
	Pipeline model.Pipeline
	Spec     model.TriggerSpec
}

// Key is the trigger's key, APPLICATION/PIPELINE/TRIGGER.
func (r Ref) Key() string {
	return model.TriggerKey(r.Pipeline.Application, r.Pipeline.Name, r.Spec.Name)
}

// Firing is one occurrence of a trigger: what should start its pipeline
// once.
type Firing struct {
	Ref Ref
	// DeliveryID identifies the occurrence within the trigger (a webhook's
	// delivery ID, a registry tag@digest, a commit, a tick, an upstream
	// execution ID). At most one execution ever starts per (trigger,
	// DeliveryID).
	DeliveryID string
	// Input is what the trigger's When conditions and Params expressions
	// read (model.TriggerSpec lists the variables of each source).
	Input map[string]any
	// Params are the source's default parameters (registry: version = tag),
	// which the trigger's Params override.
	Params map[string]string
	// Record is what the execution shows about its start: Kind (the
	// source), CommitSHA, CommitTime, Digest and a redacted Payload. The
	// Starter fills Name and DeliveryID.
	Record model.Trigger
}

// Result says what a firing did.
type Result struct {
	// ExecutionID is the execution it started, or the one an earlier
	// firing with the same delivery ID started (Duplicate).
	ExecutionID string
	Duplicate   bool
	// Skipped, when set, says why nothing started: the trigger is paused,
	// or a When condition was false (naming it).
	Skipped string
	// Params are the parameters the pipeline got (or would get).
	Params map[string]string
}

// Starter starts a firing's pipeline at most once per delivery ID.
type Starter interface {
	Fire(ctx context.Context, f Firing) (Result, error)
}

// Cursors keep a source's durable position per trigger key. A cursor is
// opaque to the store (the source's own JSON).
type Cursors interface {
	TriggerCursor(ctx context.Context, key string) ([]byte, error) // nil when none
	SetTriggerCursor(ctx context.Context, key string, cursor []byte) error
}

// Poller looks at one trigger's source once. Given the trigger and its
// cursor (nil the first time), it returns the firings found since the
// cursor and the cursor to save after they are fired. On its first look a
// watching source (registry, git) records what exists without firing, as
// Spinnaker's Igor does: a new trigger does not redeploy every old tag.
type Poller interface {
	Poll(ctx context.Context, ref Ref, cursor []byte) (firings []Firing, next []byte, err error)
}
