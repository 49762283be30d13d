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

// anonymousPerMinute bounds how many refusals of anonymous requests are
// recorded per minute, so a flood of unauthenticated requests cannot fill
// the log; the entry after a pause counts what was left out.
const anonymousPerMinute = 60

// Recorder appends entries for requests. A nil Recorder records nothing. Appending never fails a request
// that already happened: an error is logged (an action's own entry is
// written in the action's transaction instead, see engine.Guard).
type Recorder struct {
	Store Store
	Log   *slog.Logger
	Now   func() time.Time

	mu         sync.Mutex
	window     time.Time
	anonymous  int
	suppressed int
}

// Entry starts the audit entry of a request: its actor (the authenticated
// principal, or anonymous), source address and time.
func (r *Recorder) Entry(req *http.Request, action model.AuditAction, object, app string) model.AuditEntry {
	actor := auth.From(req.Context()).Actor()
	if actor == "" {
		actor = Anonymous
	}
	return model.AuditEntry{Time: r.now(), Actor: actor, Source: Source(req), Action: action, Object: object, Application: app}
}

// Record appends e with its outcome and detail (any JSON value, or nil).
func (r *Recorder) Record(ctx context.Context, e model.AuditEntry, outcome model.AuditOutcome, detail any) {
	if r == nil || r.Store == nil {
		return
	}
	if e.Actor == Anonymous && outcome == model.AuditRefused {
		keep, dropped := r.allowAnonymous()
		if !keep {
			return
		}
		if dropped > 0 {
			detail = map[string]any{"detail": detail, "suppressed": dropped, "note": "refusals of anonymous requests left out of the log in the minute before this one"}
		}
	}
	e.Outcome = outcome
	e.Detail = Detail(detail)
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

func (r *Recorder) allowAnonymous() (keep bool, dropped int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.window) >= time.Minute {
		r.window, r.anonymous = now, 0
	}
	if r.anonymous >= anonymousPerMinute {
		r.suppressed++
		return false, 0
	}
	r.anonymous++
	dropped, r.suppressed = r.suppressed, 0
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
