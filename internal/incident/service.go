package incident

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Service opens and resolves incidents over a store.
type Service struct {
	Store store.Store
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// OpenRequest opens an incident.
type OpenRequest struct {
	// ID names it: "" draws one ("inc-" and a random suffix); Alertmanager
	// alerts use AlertID, the API IdempotencyID.
	ID          string
	Application string
	Environment string
	Title       string
	// Source is model.IncidentSourceAlertmanager or model.IncidentSourceAPI.
	Source string
	// StartedAt is when it began (zero: now).
	StartedAt time.Time
	// ResolvedAt, when set, resolves it in the same transaction (an
	// Alertmanager alert whose firing gennaker never saw arrives resolved).
	ResolvedAt *time.Time
	URL        string
	Labels     map[string]string
	// By is the principal recording it (a token's or a person's actor).
	By string
	// Audit, when set, is the request's audit entry: it is appended, with
	// the incident as its object, in the transaction of each write
	// (incident.open, and incident.resolve for ResolvedAt), and not at all
	// when a replay writes nothing.
	Audit *model.AuditEntry
	// Check, when set, decides whether the caller may record an incident
	// of the application in the environment; it runs after the request is
	// validated (so an unknown application is said to be unknown) and
	// before anything is written. Its error is returned as it is.
	Check func(application, environment string) error
}

// ResolveRequest resolves an open incident.
type ResolveRequest struct {
	ID string
	// At is when it ended (zero: now).
	At    time.Time
	By    string
	Audit *model.AuditEntry
	// Check, when set, decides on the stored incident whether the caller
	// may resolve it, before anything is written (also when it is
	// resolved already: a replay tells nothing to whom may not).
	Check func(inc *model.Incident) error
}

// Result is what a call did.
type Result struct {
	Incident *model.Incident
	// Opened and Resolved say whether this call wrote the incident and its
	// resolution (false on a replay: nothing was written).
	Opened, Resolved bool
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Open records an incident and its incident_opened event in one
// transaction, unless an incident with its ID exists: then it writes
// nothing and returns the stored one. A stored incident of another
// application or environment under the same ID is a conflict
// (store.ErrConflict). With ResolvedAt it also resolves it, as Resolve.
func (s *Service) Open(ctx context.Context, req OpenRequest) (Result, error) {
	now := s.now()
	known, err := s.known(ctx, req.Application, req.Environment)
	if err != nil {
		return Result{}, err
	}
	if err := Validate(req, known, now); err != nil {
		return Result{}, err
	}
	if req.Check != nil {
		if err := req.Check(req.Application, req.Environment); err != nil {
			return Result{}, err
		}
	}
	if req.ID == "" {
		req.ID = RandomID()
	}
	if req.StartedAt.IsZero() {
		req.StartedAt = now
	}
	inc := &model.Incident{ID: req.ID, Application: req.Application, Environment: req.Environment, Title: req.Title,
		Source: req.Source, StartedAt: req.StartedAt.UTC().Truncate(store.TimePrecision), OpenedBy: req.By, URL: req.URL,
		Labels: CapLabels(req.Labels), RecordedAt: now}
	var res Result
	err = s.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res = Result{}
		stored, opened, err := tx.IncidentInsert(ctx, inc)
		if err != nil {
			return err
		}
		if !opened && (stored.Application != inc.Application || stored.Environment != inc.Environment) {
			return fmt.Errorf("%w: incident %s exists already, for application %s in %s: a replay must name the same application and environment (use another Idempotency-Key for another incident)",
				store.ErrConflict, stored.ID, stored.Application, stored.Environment)
		}
		res.Incident, res.Opened = stored, opened
		if opened {
			ev := &model.Event{Time: stored.StartedAt, Kind: model.EventIncidentOpened, Application: stored.Application,
				Environment: stored.Environment, Ref: stored.ID, Action: stored.Source, Detail: stored.Title, Actor: req.By}
			if err := tx.EventInsert(ctx, ev); err != nil {
				return err
			}
			if err := appendAudit(ctx, tx, req.Audit, model.AuditIncidentOpen, stored); err != nil {
				return err
			}
		}
		if req.ResolvedAt == nil {
			return nil
		}
		res.Incident, res.Resolved, err = resolveTx(ctx, tx, stored, store.IncidentResolveParams{ID: stored.ID, At: *req.ResolvedAt, By: req.By}, req.Audit)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// Resolve records the end of an open incident and its incident_resolved
// event in one transaction. Resolving a resolved incident writes nothing
// and returns it (Resolved false); store.ErrNotFound when there is none.
func (s *Service) Resolve(ctx context.Context, req ResolveRequest) (Result, error) {
	now := s.now()
	if req.At.IsZero() {
		req.At = now
	}
	at := req.At.UTC().Truncate(store.TimePrecision)
	var res Result
	err := s.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res = Result{}
		inc, err := tx.IncidentGet(ctx, req.ID)
		if err != nil {
			return err
		}
		if req.Check != nil {
			if err := req.Check(inc); err != nil {
				return err
			}
		}
		if !inc.Open() {
			res.Incident = inc
			return nil
		}
		if err := ValidateResolve(inc, at, now); err != nil {
			return err
		}
		res.Incident, res.Resolved, err = resolveTx(ctx, tx, inc, store.IncidentResolveParams{ID: req.ID, At: at, By: req.By}, req.Audit)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// resolveTx resolves inc in tx when it is open, with its event and audit
// entry.
func resolveTx(ctx context.Context, tx store.Tx, inc *model.Incident, p store.IncidentResolveParams, audit *model.AuditEntry) (*model.Incident, bool, error) {
	if !inc.Open() {
		return inc, false, nil
	}
	p.At = p.At.UTC().Truncate(store.TimePrecision)
	stored, resolved, err := tx.IncidentResolve(ctx, p)
	if err != nil || !resolved {
		return stored, false, err
	}
	ev := &model.Event{Time: *stored.ResolvedAt, Kind: model.EventIncidentResolved, Application: stored.Application,
		Environment: stored.Environment, Ref: stored.ID, Action: stored.Source, Actor: p.By}
	if err := tx.EventInsert(ctx, ev); err != nil {
		return nil, false, err
	}
	if err := appendAudit(ctx, tx, audit, model.AuditIncidentResolve, stored); err != nil {
		return nil, false, err
	}
	return stored, true, nil
}

// appendAudit appends a copy of the request's entry for what was written.
func appendAudit(ctx context.Context, tx store.Tx, tmpl *model.AuditEntry, action model.AuditAction, inc *model.Incident) error {
	if tmpl == nil {
		return nil
	}
	e := *tmpl
	e.Action, e.Object, e.Application, e.Outcome = action, "incident/"+inc.ID, inc.Application, model.AuditOK
	detail := map[string]any{"environment": inc.Environment, "source": inc.Source, "startedAt": inc.StartedAt}
	if action == model.AuditIncidentOpen {
		detail["title"] = inc.Title
	} else if inc.ResolvedAt != nil {
		detail["resolvedAt"] = *inc.ResolvedAt
	}
	e.Detail = mustDetail(detail)
	return tx.AuditAppend(ctx, &e)
}

// known reads whether the application and the environment exist.
func (s *Service) known(ctx context.Context, app, env string) (Known, error) {
	var k Known
	if app != "" {
		_, err := s.Store.ApplicationGet(ctx, app)
		switch {
		case err == nil:
			k.Application = true
		case !errors.Is(err, store.ErrNotFound):
			return k, err
		}
	}
	if env != "" {
		_, err := s.Store.EnvironmentGet(ctx, env)
		switch {
		case err == nil:
			k.Environment = true
		case !errors.Is(err, store.ErrNotFound):
			return k, err
		}
	}
	return k, nil
}

// RandomID draws an incident ID for the API: "inc-" and 16 hex digits.
func RandomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "inc-" + hex.EncodeToString(b)
}

// IdempotencyID is the ID of an incident opened through the API with an
// Idempotency-Key: the key is the caller's, so the ID hashes it with the
// caller's actor and a replay by another caller is another incident.
func IdempotencyID(actor, key string) string {
	sum := sha256.Sum256([]byte(actor + "\x00" + key))
	return "inc-" + hex.EncodeToString(sum[:12])
}

// AlertID is the ID of the incident of an Alertmanager alert: its
// fingerprint (its labels' hash) and its start in Unix seconds, so every
// resend of one firing is the same incident and a new firing of the same
// alert a new one.
func AlertID(fingerprint string, startsAt time.Time) string {
	return fmt.Sprintf("am-%s-%d", fingerprint, startsAt.Unix())
}
