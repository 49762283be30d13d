package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/trigger"
)

// maxTriggerTestBody bounds a trigger test's payload (a webhook delivery's
// body, or a source's variables).
const maxTriggerTestBody = 256 << 10

// Triggers is what the API asks of the trigger service (trigger.Service).
// It is optional: without it the trigger routes answer 501.
type Triggers interface {
	List(ctx context.Context, readable func(app string) bool) ([]trigger.Status, error)
	Lookup(ctx context.Context, key string) (trigger.Ref, error)
	SetPaused(ctx context.Context, key string, paused bool, by string, entry *model.AuditEntry) (trigger.Status, error)
	Test(ctx context.Context, key string, body []byte) (trigger.DryRun, error)
}

var _ Triggers = (*trigger.Service)(nil)

// triggerKey is the key of the trigger the path names.
func triggerKey(r *http.Request) string {
	return model.TriggerKey(r.PathValue("app"), r.PathValue("pipeline"), r.PathValue("trigger"))
}

// listTriggers answers every trigger of the applied config whose
// application the caller may read, with its state and, for a webhook, its
// URL.
func (s *Server) listTriggers(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Triggers == nil {
		s.writeError(w, r, errNotImplemented)
		return
	}
	rd := auth.ReadableFrom(r.Context())
	list, err := s.cfg.Triggers.List(r.Context(), rd.Has)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	base := s.baseURL(r)
	for i := range list {
		if list[i].HookURL != "" {
			list[i].HookURL = base + list[i].HookURL
		}
	}
	writeJSON(w, http.StatusOK, list)
}

// lookupTrigger finds the trigger of the path in the pipeline the route's
// rule read, so the rule and the action are about the same pipeline.
func (s *Server) lookupTrigger(r *http.Request) (trigger.Ref, error) {
	key := triggerKey(r)
	if pl := loadedPipeline(r); pl != nil && pl.Application != r.PathValue("app") {
		return trigger.Ref{}, fmt.Errorf("trigger %s: %w: pipeline %s belongs to application %s", truncate(key, 300), store.ErrNotFound, pl.Name, pl.Application)
	}
	return s.cfg.Triggers.Lookup(r.Context(), key)
}

// pauseTrigger pauses (or resumes) a trigger at run time. It needs what
// running its pipeline needs, and is audited.
func (s *Server) pauseTrigger(paused bool) http.HandlerFunc {
	action := model.AuditTriggerResume
	if paused {
		action = model.AuditTriggerPause
	}
	return func(w http.ResponseWriter, r *http.Request) {
		key := triggerKey(r)
		e := s.entry(r, action, "trigger/"+truncate(key, 300), r.PathValue("app"))
		if s.cfg.Triggers == nil {
			s.failAction(w, r, e, errNotImplemented)
			return
		}
		if r.ContentLength > 0 {
			var req struct{}
			if err := decodeBody(w, r, &req, maxActionBody); err != nil {
				s.failAction(w, r, e, err)
				return
			}
		}
		ref, err := s.lookupTrigger(r)
		if err != nil {
			s.failAction(w, r, e, err)
			return
		}
		p, pol := principal(r), auth.PolicyFrom(r.Context())
		if err := p.Check(auth.PermDeploy, pol.App(ref.Pipeline.Application, auth.RunEnvironments(ref.Pipeline)...)); err != nil {
			s.failAction(w, r, e, err)
			return
		}
		e.Application = ref.Pipeline.Application
		st, err := s.cfg.Triggers.SetPaused(r.Context(), key, paused, p.Actor(), e)
		if err != nil {
			s.failAction(w, r, e, err)
			return
		}
		if st.HookURL != "" {
			st.HookURL = s.baseURL(r) + st.HookURL
		}
		writeJSON(w, http.StatusOK, st)
	}
}

// testTrigger answers what a firing with the body as its payload would do,
// starting nothing: for a webhook trigger the body is a delivery's JSON
// body; for the others a JSON object of the source's variables.
func (s *Server) testTrigger(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Triggers == nil {
		s.writeError(w, r, errNotImplemented)
		return
	}
	body, err := readJSONBody(w, r, maxTriggerTestBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.lookupTrigger(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	dry, err := s.cfg.Triggers.Test(r.Context(), triggerKey(r), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if dry.HookURL != "" {
		dry.HookURL = s.baseURL(r) + dry.HookURL
	}
	writeJSON(w, http.StatusOK, dry)
}

// readJSONBody reads a raw JSON body of at most limit bytes (its content
// is checked by whoever reads it).
// readLimited reads a raw request body of at most limit bytes; over it,
// errTooLarge with tooBig (a format with one %s: the limit) as the reason.
func readLimited(w http.ResponseWriter, r *http.Request, limit int64, tooBig string) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var over *http.MaxBytesError
	switch {
	case errors.As(err, &over):
		return nil, fmt.Errorf("%w: "+tooBig, errTooLarge, byteSize(limit))
	case err != nil:
		return nil, fmt.Errorf("%w: reading the request body: %v", errBadInput, err)
	}
	return b, nil
}

func readJSONBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); ct == "" || err != nil || mt != "application/json" {
		return nil, fmt.Errorf("%w: the request body must be JSON sent with Content-Type: application/json (got %q)", errMediaType, ct)
	}
	b, err := readLimited(w, r, limit, "the body is over this route's limit of %s: test with a smaller payload")
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: the request body is empty: send the payload to test as JSON", errBadInput)
	}
	return b, nil
}
