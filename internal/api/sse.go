package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// streamExecution sends the execution as an SSE "execution" event now and on
// every change, and closes the stream once it has ended.
func (s *Server) streamExecution(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.writeError(w, r, errNotImplemented)
		return
	}
	// The route's rule read the execution; send reads it again after
	// subscribing, so no change between the two is missed.
	loaded := LoadedExecution(r)
	id, app := loaded.ID, loaded.Application
	updates, unsubscribe := s.cfg.Engine.Bus().Subscribe()
	defer unsubscribe()
	sseHeaders(w)
	send := func() bool {
		exec, err := s.cfg.Store.ExecutionGet(r.Context(), id)
		if err != nil {
			if r.Context().Err() == nil {
				s.log.Warn("execution stream closed: reading the execution failed", "execution", id, "err", err)
			}
			return false
		}
		extendWrite(w)
		writeSSE(w, "execution", exec)
		flusher.Flush()
		return !exec.Status.Terminal() || hasActiveStage(exec.Stages)
	}
	if !send() {
		return
	}
	recheck := time.NewTicker(streamRecheck)
	defer recheck.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case u, ok := <-updates:
			if !ok {
				return
			}
			// Lost: the bus dropped updates, maybe this execution's.
			if u.ExecutionID != id && !u.Lost {
				continue
			}
		case <-recheck.C:
			rd, ok := s.stillReads(r)
			if !ok || !rd.Has(app) {
				return
			}
			continue
		}
		if !send() {
			return
		}
	}
}

// streamAll sends an "update" event for every execution change the caller
// may read, in commit order. Each stream reads the change outbox by its own
// cursor; the bus only wakes it, so a busy stream falls behind but never
// skips a change.
func (s *Server) streamAll(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.writeError(w, r, errNotImplemented)
		return
	}
	rd := auth.ReadableFrom(r.Context())
	after, err := lastEventID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wake, unsubscribe := s.cfg.Engine.Bus().Subscribe()
	defer unsubscribe()
	last, err := s.cfg.Store.ChangeLast(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sseHeaders(w)
	fmt.Fprint(w, ": connected\n\n")
	cursor := after
	if after == 0 || after > last {
		if after > last {
			// An ID this server never gave (a restored backup, another
			// server's database): start over from now.
			writeSSE(w, "reset", map[string]int64{"id": last})
		}
		cursor = last
	}
	// drain sends every change after the cursor; a reconnecting client
	// first gets the changes it missed (the outbox keeps an hour).
	drain := func() bool {
		for {
			changes, err := s.cfg.Store.ChangeList(r.Context(), store.ChangeListParams{AfterID: cursor, Limit: 500})
			if err != nil {
				if r.Context().Err() == nil {
					s.log.Warn("update stream closed: reading the change outbox failed", "err", err)
				}
				return false
			}
			extendWrite(w)
			for _, c := range changes {
				if rd.Has(c.Application) {
					writeUpdate(w, engine.Update{ID: c.ID, ExecutionID: c.ExecutionID, Application: c.Application, Stage: c.Stage, Status: c.Status})
				}
				cursor = c.ID
			}
			if len(changes) < 500 {
				flusher.Flush()
				return true
			}
		}
	}
	if !drain() {
		return
	}
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	recheck := time.NewTicker(streamRecheck)
	defer recheck.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-recheck.C:
			var ok bool
			if rd, ok = s.stillReads(r); !ok {
				return
			}
			continue
		case _, ok := <-wake:
			if !ok {
				return
			}
			for len(wake) > 0 { // one read of the outbox for all pending wake-ups
				<-wake
			}
		case <-keepalive.C:
			extendWrite(w)
			fmt.Fprint(w, ": keepalive\n\n")
			flusher.Flush()
			continue
		}
		if !drain() {
			return
		}
	}
}

// streamRecheck is how often an open stream checks its caller again: a
// revoked token, an ended session or a removed grant closes it (or hides
// an application) within this time.
const streamRecheck = 10 * time.Second

// stillReads authenticates a stream's request again and returns what the
// caller may read now; false when they are no longer logged in.
func (s *Server) stillReads(r *http.Request) (auth.Readable, bool) {
	p, err := s.cfg.Auth.Authenticate(r)
	if err != nil || !p.Authenticated() {
		return auth.Readable{}, false
	}
	pol, err := s.cfg.Auth.Policy(r.Context())
	if err != nil {
		return auth.Readable{}, false
	}
	return p.Readable(pol), true
}

// streamWriteWindow is how long one write of a stream may take; the
// server's write timeout would otherwise end every stream after it.
const streamWriteWindow = 30 * time.Second

func extendWrite(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(streamWriteWindow))
}

func sseHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
}

func writeSSE(w http.ResponseWriter, event string, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
}

// writeUpdate sends an "update" event with the change's outbox ID as its
// SSE id.
func writeUpdate(w http.ResponseWriter, u engine.Update) {
	if u.ID != 0 {
		fmt.Fprintf(w, "id: %d\n", u.ID)
	}
	writeSSE(w, "update", u)
}

// lastEventID is where a reconnecting stream resumes: the Last-Event-ID
// header the browser's EventSource sends, or ?after=ID; 0 when neither.
func lastEventID(r *http.Request) (int64, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("after")
	}
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, fmt.Errorf("%w: Last-Event-ID (or after) %q is not a change ID: reconnect without it, or with the id of the last update received", errBadInput, truncate(v, 32))
	}
	return id, nil
}

func hasActiveStage(stages []model.Stage) bool {
	for _, st := range stages {
		if st.Status == model.StageRunning || st.Status == model.StageWaiting {
			return true
		}
	}
	return false
}
