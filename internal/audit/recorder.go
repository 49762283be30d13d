package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
)

// Store is where entries go.
type Store interface {
	AuditAppend(ctx context.Context, e *model.AuditEntry) error
}

// Anonymous is the actor of a request without a valid credential.
const Anonymous = "anonymous"

// perMinute bounds how many refused or failed requests one actor gets
// recorded per minute ("anonymous" counts as one actor), so a flood cannot
// fill the append-only log or hold its single writer; the entry after a
// pause counts what was left out. Changes and actions that were done are
// always recorded.
const perMinute = 60

// Size bounds of what a request puts into an entry.
const (
	maxObject        = 256
	maxDetail        = 64 << 10
	maxRefusalDetail = 2 << 10
	maxLimitedActors = 1000
)

// Recorder appends entries for requests. A nil Recorder records nothing. Appending never fails a request
// that already happened: an error is logged (an action's own entry is
// written in the action's transaction instead, see engine.Guard).
type Recorder struct {
	Store Store
	Log   *slog.Logger
	Now   func() time.Time

	mu     sync.Mutex
	window time.Time
	// counts and suppressed are per actor, for the current window.
	counts     map[string]int
	suppressed map[string]int
}

// Entry starts the audit entry of a request: its actor (the authenticated
// principal, or anonymous), source address and time.
func (r *Recorder) Entry(req *http.Request, action model.AuditAction, object, app string) model.AuditEntry {
	actor := auth.From(req.Context()).Actor()
	if actor == "" {
		actor = Anonymous
	}
	return model.AuditEntry{Time: r.now(), Actor: actor, Source: Source(req), Action: action, Object: Bounded(object, maxObject), Application: Bounded(app, maxObject)}
}

// RequestObject names a request as an entry's object: its method and its
// path as sent (escaped, so no control character reaches a table), cut to
// a bounded size.
func RequestObject(req *http.Request) string {
	return Bounded(req.Method+" "+req.URL.EscapedPath(), maxObject)
}

// Bounded cuts s to at most n bytes, marking the cut.
func Bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// Record appends e with its outcome and detail (any JSON value, or nil).
func (r *Recorder) Record(ctx context.Context, e model.AuditEntry, outcome model.AuditOutcome, detail any) {
	if r == nil || r.Store == nil {
		return
	}
	limit := maxDetail
	if outcome != model.AuditOK {
		limit = maxRefusalDetail
		keep, dropped := r.allow(e.Actor)
		if !keep {
			return
		}
		if dropped > 0 {
			detail = map[string]any{"detail": detail, "suppressed": dropped, "note": "refused or failed requests of this actor left out of the log in the minute before this one"}
		}
	}
	e.Object = Bounded(e.Object, maxObject)
	e.Outcome = outcome
	e.Detail = Detail(detail)
	if len(e.Detail) > limit {
		e.Detail = Detail(map[string]any{"truncated": true, "bytes": len(e.Detail), "start": Bounded(string(e.Detail), limit/2)})
	}
	if e.Time.IsZero() {
		e.Time = r.now()
	}
	if err := r.Store.AuditAppend(context.WithoutCancel(ctx), &e); err != nil && r.Log != nil {
		r.Log.Error("writing the audit log", "action", e.Action, "actor", e.Actor, "err", err)
	}
}

// Detail encodes v as an entry's detail (nil for nil).
func Detail(v any) json.RawMessage {
	switch d := v.(type) {
	case nil:
		return nil
	case json.RawMessage:
		return d
	case error:
		v = map[string]string{"error": d.Error()}
	case string:
		v = map[string]string{"message": d}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// allow reports whether a refused or failed entry of actor is recorded,
// and how many of actor's were left out before it.
func (r *Recorder) allow(actor string) (keep bool, dropped int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.window) >= time.Minute || r.counts == nil || len(r.counts) > maxLimitedActors {
		r.window, r.counts = now, map[string]int{}
		if len(r.suppressed) > maxLimitedActors {
			r.suppressed = map[string]int{}
		}
	}
	if r.suppressed == nil {
		r.suppressed = map[string]int{}
	}
	if r.counts[actor] >= perMinute {
		r.suppressed[actor]++
		return false, 0
	}
	r.counts[actor]++
	dropped = r.suppressed[actor]
	delete(r.suppressed, actor)
	return true, dropped
}

func (r *Recorder) now() time.Time {
	if r != nil && r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Source is the client's address of a request (its peer's IP).
func Source(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return req.RemoteAddr
	}
	return host
}
