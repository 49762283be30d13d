package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
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
	// A slow safety poll catches updates lost by a full subscriber buffer.
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
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
			if u.ExecutionID != id {
				continue
			}
		case <-tick.C:
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

// streamAll sends an "update" event for every execution change.
func (s *Server) streamAll(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.writeError(w, r, errNotImplemented)
		return
	}
	rd := auth.ReadableFrom(r.Context())
	updates, unsubscribe := s.cfg.Engine.Bus().Subscribe()
	defer unsubscribe()
	sseHeaders(w)
	fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
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
		case u, ok := <-updates:
			if !ok {
				return
			}
			if !rd.Has(u.Application) {
				continue
			}
			extendWrite(w)
			writeSSE(w, "update", u)
		case <-keepalive.C:
			extendWrite(w)
			fmt.Fprint(w, ": keepalive\n\n")
		}
		flusher.Flush()
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

func hasActiveStage(stages []model.Stage) bool {
	for _, st := range stages {
		if st.Status == model.StageRunning || st.Status == model.StageWaiting {
			return true
		}
	}
	return false
}
