package trigger

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Engine starts a triggered execution at most once per delivery
// (engine.Engine).
type Engine interface {
	StartTriggered(ctx context.Context, pl model.Pipeline, params map[string]string, trigger model.Trigger, guard engine.Guard) (*model.Execution, bool, error)
}

var _ Engine = (*engine.Engine)(nil)

// Service starts triggered pipelines (Starter), keeps the sources' cursors
// (Cursors), and lists, pauses, resumes and dry-runs triggers for the API.
// It reads every trigger from the applied config in the store, never from
// what a source was given when it started, so a trigger removed or paused
// since starts nothing.
type Service struct {
	store  store.Store
	engine Engine
	now    func() time.Time
	logger *slog.Logger
	// recorded is, by trigger key, the last start or error this server
	// recorded (a recordedFiring): a burst of deliveries records its
	// starts at most once a second instead of one write each.
	recorded sync.Map
}

// recordedFiring is the last firing outcome a Service wrote for a trigger.
type recordedFiring struct {
	at     time.Time
	failed bool
}

// recordEvery is how often at most a trigger's last start is written
// while its deliveries keep starting pipelines (an error always is).
const recordEvery = time.Second

var (
	_ Starter = (*Service)(nil)
	_ Cursors = (*Service)(nil)
)

// ServiceConfig builds a Service.
type ServiceConfig struct {
	Store  store.Store
	Engine Engine
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default: discard
}

// NewService builds the trigger service.
func NewService(cfg ServiceConfig) *Service {
	s := &Service{store: cfg.Store, engine: cfg.Engine, now: cfg.Now, logger: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s
}

// Actor is who a triggered start is recorded as: trigger:APP/PIPELINE/NAME.
func Actor(key string) string { return "trigger:" + key }

// ParseKey splits APPLICATION/PIPELINE/TRIGGER.
func ParseKey(key string) (app, pipeline, name string, err error) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", fmt.Errorf("%w: trigger %q: a trigger is named APPLICATION/PIPELINE/TRIGGER, such as checkout/ship/on-push (list them with `gennaker triggers list`)", engine.ErrBadRequest, key)
	}
	return parts[0], parts[1], parts[2], nil
}

// Lookup finds a trigger in the applied config; store.ErrNotFound when
// its pipeline or the trigger is not there.
func (s *Service) Lookup(ctx context.Context, key string) (Ref, error) {
	app, pipeline, name, err := ParseKey(key)
	if err != nil {
		return Ref{}, err
	}
	pl, err := s.store.PipelineGet(ctx, pipeline)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Ref{}, err
	}
	if err == nil && pl.Application == app {
		for _, spec := range pl.Triggers {
			if spec.Name == name {
				return Ref{Pipeline: *pl, Spec: spec}, nil
			}
		}
	}
	return Ref{}, fmt.Errorf("trigger %s: %w: the applied config has no such trigger (list them with `gennaker triggers list`)", key, store.ErrNotFound)
}

// Fire starts the firing's pipeline unless its trigger is gone from the
// applied config or paused, or a `when` condition is false (Skipped), at
// most once per delivery (a replay returns the first execution, marked
// Duplicate). A start is audited as a pipeline run by trigger:KEY, and the
// trigger's last firing (or error) is recorded.
func (s *Service) Fire(ctx context.Context, f Firing) (Result, error) {
	key := f.Ref.Key()
	if f.DeliveryID == "" {
		return Result{}, fmt.Errorf("trigger %s: a firing needs a delivery ID (the source gives one per occurrence)", key)
	}
	// A replay of a delivery that started is answered as one before
	// anything that may have changed since (the config, a pause, the
	// parameter rules) is looked at; the claim in the start's transaction
	// stays the guard for deliveries that race.
	if id, found, err := s.store.TriggerFiringGet(ctx, key, f.DeliveryID); err != nil || found {
		return Result{ExecutionID: id, Duplicate: found}, err
	}
	ref, err := s.Lookup(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return Result{Skipped: fmt.Sprintf("trigger %s is no longer in the applied config", key)}, nil
	}
	if err != nil {
		return Result{}, err
	}
	if reason, err := s.pausedReason(ctx, ref); err != nil || reason != "" {
		return Result{Skipped: reason}, err
	}
	d := Decide(ref.Spec, f.Input, keepDeclared(ref.Pipeline, f.Params))
	res := Result{Params: d.Params}
	if !d.Start {
		res.Skipped = d.Skipped
		if d.Failed {
			s.recordFired(ctx, key, nil, d.Skipped)
		}
		return res, nil
	}
	rec := f.Record
	rec.Name, rec.DeliveryID, rec.Actor, rec.Owner = key, f.DeliveryID, Actor(key), ""
	if rec.Kind == "" {
		rec.Kind = ref.Spec.Type()
	}
	if len(rec.Payload) == 0 && len(f.Input) > 0 {
		// A source without a body of its own shows what its expressions read.
		rec.Payload, _ = json.Marshal(f.Input)
	}
	rec.Payload = RedactPayload(rec.Payload)
	pl := ref.Pipeline
	entry := &model.AuditEntry{Actor: rec.Actor, Action: model.AuditRun, Object: "pipeline/" + pl.Name, Application: pl.Application,
		Detail: audit.Detail(map[string]any{"pipeline": pl.Name, "params": d.Params, "trigger": key, "delivery": f.DeliveryID})}
	exec, dup, err := s.engine.StartTriggered(ctx, pl, d.Params, rec, engine.Guard{Audit: entry})
	if err != nil {
		s.recordFired(ctx, key, nil, err.Error())
		return res, fmt.Errorf("trigger %s: delivery %s: %w", key, f.DeliveryID, err)
	}
	res.ExecutionID, res.Duplicate = exec.ID, dup
	if !dup {
		s.recordStarted(ctx, key)
		s.logger.InfoContext(ctx, "trigger started pipeline", "trigger", key, "delivery", f.DeliveryID, "execution", exec.ID)
	}
	return res, nil
}

// keepDeclared keeps the source defaults the pipeline accepts (declared
// parameters, version and env.NAME): a git trigger's default commit must
// not fail a pipeline that has no commit parameter.
func keepDeclared(pl model.Pipeline, defaults map[string]string) map[string]string {
	declared := map[string]bool{}
	for _, p := range pl.Parameters {
		declared[p.Name] = true
	}
	out := map[string]string{}
	for k, v := range defaults {
		if declared[k] || k == "version" || strings.HasPrefix(k, "env.") {
			out[k] = v
		}
	}
	return out
}

// recordStarted records a trigger's start as its last firing, unless this
// server recorded a start of it less than recordEvery ago (the last
// firing is what `triggers list` shows, not a record of every start: the
// claims in trigger_firing are). A start after an error always clears it.
func (s *Service) recordStarted(ctx context.Context, key string) {
	now := s.now()
	if v, ok := s.recorded.Load(key); ok {
		if last := v.(recordedFiring); !last.failed && now.Sub(last.at) < recordEvery {
			return
		}
	}
	s.recordFired(ctx, key, &now, "")
}

// recordFired records a firing's outcome; a failure to record it is
// logged, as it must not fail a start that happened.
func (s *Service) recordFired(ctx context.Context, key string, at *time.Time, msg string) {
	if err := s.store.TriggerFiredSet(ctx, store.TriggerFiredParams{Key: key, FiredAt: at, Error: audit.Bounded(msg, 2000)}); err != nil {
		s.logger.WarnContext(ctx, "recording a trigger's last firing", "trigger", key, "err", err)
		s.recorded.Delete(key)
		return
	}
	s.recorded.Store(key, recordedFiring{at: s.now(), failed: msg != ""})
}

// TriggerPolled records how a look at a polling trigger's source went
// (runner.Reporter): when, and its error ("" clears the last one).
func (s *Service) TriggerPolled(ctx context.Context, key string, err error) {
	at := s.now().UTC()
	msg := ""
	if err != nil {
		msg = audit.Bounded(err.Error(), 2000)
	}
	if err := s.store.TriggerFiredSet(ctx, store.TriggerFiredParams{Key: key, LookedAt: &at, Error: msg}); err != nil {
		s.logger.WarnContext(ctx, "recording a look at a trigger's source", "trigger", key, "err", err)
	}
}

// pausedReason says why a trigger starts nothing now ("" when it may).
func (s *Service) pausedReason(ctx context.Context, ref Ref) (string, error) {
	key := ref.Key()
	if ref.Spec.Paused {
		return fmt.Sprintf("trigger %s is paused in its config (paused: true)", key), nil
	}
	st, err := s.store.TriggerStateGet(ctx, key)
	if err != nil {
		return "", err
	}
	if st.Paused {
		return fmt.Sprintf("trigger %s was paused by %s%s: resume it with `gennaker triggers resume %s`", key, orSomeone(st.PausedBy), at(st.PausedAt), key), nil
	}
	return "", nil
}

func orSomeone(s string) string {
	if s == "" {
		return "someone"
	}
	return s
}

func at(t *time.Time) string {
	if t == nil {
		return ""
	}
	return " at " + t.UTC().Format(time.RFC3339)
}

// TriggerCursor implements Cursors.
func (s *Service) TriggerCursor(ctx context.Context, key string) ([]byte, error) {
	st, err := s.store.TriggerStateGet(ctx, key)
	if err != nil {
		return nil, err
	}
	return st.Cursor, nil
}

// SetTriggerCursor implements Cursors.
func (s *Service) SetTriggerCursor(ctx context.Context, key string, cursor []byte) error {
	return s.store.TriggerCursorSet(ctx, key, cursor)
}

// Status is a trigger of the applied config with its run-time state, as
// `gennaker triggers list` shows it.
type Status struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Application string `json:"application"`
	Pipeline    string `json:"pipeline"`
	// Paused is set when the trigger starts nothing: paused in its config
	// (PausedInConfig) or at run time (PausedBy, PausedAt: set only while
	// paused at run time).
	Paused         bool       `json:"paused"`
	PausedInConfig bool       `json:"pausedInConfig,omitempty"`
	PausedBy       string     `json:"pausedBy,omitempty"`
	PausedAt       *time.Time `json:"pausedAt,omitempty"`
	LastFiredAt    *time.Time `json:"lastFiredAt,omitempty"`
	// LastLookAt is when a polling trigger last looked at its source, as
	// the runner reports it (when a look's outcome changes, and at least
	// every 10 minutes).
	LastLookAt *time.Time `json:"lastLookAt,omitempty"`
	LastError  string     `json:"lastError,omitempty"`
	// HookURL is where a webhook trigger's deliveries go (the API puts
	// the server's address before the path).
	HookURL string `json:"hookUrl,omitempty"`
}

// HookPath is the path a webhook trigger's deliveries are posted to.
func HookPath(ref Ref) string {
	if ref.Spec.Webhook == nil {
		return ""
	}
	hook := ref.Spec.Webhook.Hook
	if hook == "" {
		hook = ref.Spec.Name
	}
	return "/api/v1/hooks/" + url.PathEscape(hook)
}

func status(ref Ref, st store.TriggerState) Status {
	out := Status{
		Key: ref.Key(), Name: ref.Spec.Name, Type: ref.Spec.Type(), Application: ref.Pipeline.Application, Pipeline: ref.Pipeline.Name,
		Paused: ref.Spec.Paused || st.Paused, PausedInConfig: ref.Spec.Paused, LastFiredAt: st.LastFiredAt, LastLookAt: st.LookedAt, LastError: st.LastError,
		HookURL: HookPath(ref),
	}
	if st.Paused {
		out.PausedBy, out.PausedAt = st.PausedBy, st.PausedAt
	}
	return out
}

// List returns every trigger of the applied config whose application
// readable allows (nil: all), by key.
func (s *Service) List(ctx context.Context, readable func(app string) bool) ([]Status, error) {
	pipelines, err := s.store.PipelineList(ctx, store.PipelineListParams{})
	if err != nil {
		return nil, err
	}
	states, err := s.store.TriggerStateList(ctx)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]store.TriggerState, len(states))
	for _, st := range states {
		byKey[st.Key] = st
	}
	out := []Status{}
	for _, pl := range pipelines {
		if readable != nil && !readable(pl.Application) {
			continue
		}
		for _, spec := range pl.Triggers {
			ref := Ref{Pipeline: pl, Spec: spec}
			out = append(out, status(ref, byKey[ref.Key()]))
		}
	}
	slices.SortFunc(out, func(a, b Status) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// SetPaused pauses or resumes a trigger at run time, and appends entry
// (when set) to the audit log in the same transaction.
func (s *Service) SetPaused(ctx context.Context, key string, paused bool, by string, entry *model.AuditEntry) (Status, error) {
	ref, err := s.Lookup(ctx, key)
	if err != nil {
		return Status{}, err
	}
	var st store.TriggerState
	err = s.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.TriggerPauseSet(ctx, store.TriggerPauseParams{Key: key, Paused: paused, By: by, At: s.now()}); err != nil {
			return err
		}
		if entry != nil {
			e := *entry
			e.Outcome = model.AuditOK
			if err := tx.AuditAppend(ctx, &e); err != nil {
				return err
			}
		}
		var err error
		st, err = tx.TriggerStateGet(ctx, key)
		return err
	})
	if err != nil {
		return Status{}, fmt.Errorf("trigger %s: %w", key, err)
	}
	return status(ref, st), nil
}
