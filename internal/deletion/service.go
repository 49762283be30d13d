package deletion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Teardown stops what an object runs on its environments' targets. Every
// method is idempotent: what is already gone is no error.
type Teardown interface {
	// StopServerGroup stops a server group's instances.
	StopServerGroup(ctx context.Context, env model.Environment, sg model.ServerGroup) error
	// RemoveFrontDoor takes down app's front door in env (nothing on
	// targets without one).
	RemoveFrontDoor(ctx context.Context, app string, env model.Environment) error
	// StopEnvironment stops what env itself runs (the local target's
	// front-door process).
	StopEnvironment(ctx context.Context, env model.Environment) error
}

// Canceler cancels running executions (the engine).
type Canceler interface {
	Cancel(ctx context.Context, p engine.CancelParams) error
}

// Request asks to delete one object.
type Request struct {
	Kind, Name string
	// DryRun returns the plan and changes nothing.
	DryRun bool
	// Force cancels the running executions first instead of refusing.
	Force bool
	Actor string
	// Audit, when set, is the audit entry of the deletion: it is appended,
	// with outcome ok and what was removed, in the transaction that removes
	// the records.
	Audit *model.AuditEntry
}

// Result is what a deletion did (or, with DryRun, would do).
type Result struct {
	Plan
	DryRun   bool                `json:"dryRun"`
	Canceled []string            `json:"canceled,omitempty"`
	Deleted  *store.DeleteResult `json:"deleted,omitempty"`
}

// Service deletes objects.
type Service struct {
	Store    store.Store
	Teardown Teardown
	Canceler Canceler
	Log      *slog.Logger
	// CancelWait bounds how long a forced deletion waits for the executions
	// it canceled to end (their deploys undo first); default 2 minutes.
	CancelWait time.Duration
	// Now and Sleep are the clock (nil: the real one).
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
}

// BlockedError refuses a deletion that would leave config pointing at
// nothing (a pipeline deploying to a deleted environment). It wraps
// store.ErrConflict (the API answers 409).
type BlockedError struct{ Object, Why string }

func (e *BlockedError) Error() string { return "cannot delete " + e.Object + ": " + e.Why }

func (e *BlockedError) Unwrap() error { return store.ErrConflict }

// Delete plans the deletion and, unless req.DryRun, carries it out.
func (s *Service) Delete(ctx context.Context, req Request) (*Result, error) {
	if err := store.CheckDeleteKind(req.Kind); err != nil {
		return nil, fmt.Errorf("%w: %v", engine.ErrBadRequest, err)
	}
	w, err := s.world(ctx, req.Kind, req.Name)
	if err != nil {
		return nil, err
	}
	plan := Decide(w)
	res := &Result{Plan: plan, DryRun: req.DryRun}
	if req.DryRun {
		return res, nil
	}
	if plan.Blocked != "" {
		return nil, &BlockedError{Object: plan.Object, Why: plan.Blocked}
	}
	if len(plan.Running) > 0 {
		if !req.Force {
			return nil, &store.RunningError{Object: plan.Object, Executions: plan.Running}
		}
		if err := s.cancelAll(ctx, req, plan.Running); err != nil {
			return nil, err
		}
		res.Canceled = plan.Running
		// The aborts changed the cluster: plan again from what is stored now.
		if w, err = s.world(ctx, req.Kind, req.Name); err != nil {
			return nil, err
		}
		res.Plan = Decide(w)
	}
	if err := s.teardown(ctx, res.Plan); err != nil {
		return nil, fmt.Errorf("stopping what %s runs: %w: nothing was removed; fix the cause and delete again", plan.Object, err)
	}
	params := store.ConfigDeleteParams{Kind: req.Kind, Name: req.Name}
	if req.Audit != nil {
		e := *req.Audit
		e.Outcome = model.AuditOK
		e.Detail = mustJSON(map[string]any{"force": req.Force, "canceled": res.Canceled, "serverGroups": res.ServerGroups,
			"frontDoors": res.FrontDoors, "objects": res.Objects, "executions": res.Executions})
		if e.Time.IsZero() {
			e.Time = s.now()
		}
		params.Audit = &e
	}
	deleted, err := s.Store.ConfigDelete(ctx, params)
	if err != nil {
		return nil, err
	}
	res.Deleted = &deleted
	ev := &model.Event{Time: s.now(), Kind: model.EventDeleted, Actor: req.Actor, Detail: describe(deleted)}
	switch req.Kind {
	case model.KindApplication:
		ev.Application = req.Name
	case model.KindEnvironment:
		ev.Environment = req.Name
	case model.KindPipeline:
		ev.Application = pipelineApp(w)
	}
	if err := s.Store.EventInsert(ctx, ev); err != nil {
		s.log().Warn("deleted, but the event was not recorded", "object", plan.Object, "err", err)
	}
	return res, nil
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// world reads what the plan needs.
func (s *Service) world(ctx context.Context, kind, name string) (World, error) {
	w := World{Kind: kind, Name: name}
	var err error
	switch kind {
	case model.KindApplication:
		_, err = s.Store.ApplicationGet(ctx, name)
	case model.KindEnvironment:
		_, err = s.Store.EnvironmentGet(ctx, name)
	case model.KindPipeline:
		var pl *model.Pipeline
		if pl, err = s.Store.PipelineGet(ctx, name); err == nil {
			w.Pipelines = []model.Pipeline{*pl}
		}
	case model.KindNotification:
		// A notification runs nothing: its deliveries go with it.
		if _, err = s.Store.NotificationGet(ctx, name); err == nil {
			return w, nil
		}
	case model.KindSLOStored:
		// An SLO runs nothing: its status and history go with it.
		if _, err = s.Store.SLOGet(ctx, name); err == nil {
			return w, nil
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return w, fmt.Errorf("%w: %s %q does not exist (`gennaker %ss` lists them)", store.ErrNotFound, strings.ToLower(kind), name, strings.ToLower(kind))
	}
	if err != nil {
		return w, err
	}
	if w.Environments, err = s.Store.EnvironmentList(ctx); err != nil {
		return w, err
	}
	running := []model.ExecutionStatus{model.ExecutionRunning}
	switch kind {
	case model.KindApplication:
		if w.Pipelines, err = s.Store.PipelineList(ctx, store.PipelineListParams{Application: name}); err != nil {
			return w, err
		}
		if w.ServerGroups, err = s.Store.ServerGroupList(ctx, store.ServerGroupListParams{Application: name}); err != nil {
			return w, err
		}
		w.Executions, err = s.allExecutions(ctx, store.ExecutionListParams{Application: name})
	case model.KindEnvironment:
		if w.Pipelines, err = s.Store.PipelineList(ctx, store.PipelineListParams{}); err != nil {
			return w, err
		}
		if w.ServerGroups, err = s.Store.ServerGroupList(ctx, store.ServerGroupListParams{Environment: name}); err != nil {
			return w, err
		}
		w.Executions, err = s.allExecutions(ctx, store.ExecutionListParams{Statuses: running})
	case model.KindPipeline:
		w.Executions, err = s.allExecutions(ctx, store.ExecutionListParams{Pipeline: name, Statuses: running})
	}
	return w, err
}

// allExecutions pages through ExecutionList.
func (s *Service) allExecutions(ctx context.Context, p store.ExecutionListParams) ([]model.Execution, error) {
	p.Limit = 500
	var out []model.Execution
	for {
		page, err := s.Store.ExecutionList(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < p.Limit {
			return out, nil
		}
		last := page[len(page)-1]
		p.Before = &store.ExecutionCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

// cancelAll cancels the running executions and waits until they ended.
func (s *Service) cancelAll(ctx context.Context, req Request, ids []string) error {
	for _, id := range ids {
		err := s.Canceler.Cancel(ctx, engine.CancelParams{ExecutionID: id, Actor: req.Actor, Reason: "deleting " + req.Kind + "/" + req.Name})
		if err != nil && !errors.Is(err, engine.ErrFinished) {
			return fmt.Errorf("canceling execution %s: %w", id, err)
		}
	}
	wait := s.CancelWait
	if wait <= 0 {
		wait = 2 * time.Minute
	}
	sleep := s.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	deadline := s.now().Add(wait)
	for _, id := range ids {
		for {
			ex, err := s.Store.ExecutionGet(ctx, id)
			if err != nil {
				return err
			}
			if ex.Status.Terminal() {
				break
			}
			if s.now().After(deadline) {
				return fmt.Errorf("execution %s was canceled but has not ended after %s (its deploy is still undoing): follow it with `gennaker execution %s --watch` and delete again once it ended", id, wait, id)
			}
			if err := sleep(ctx, 250*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// teardown stops the plan's server groups, then takes down its front doors
// and environments' processes.
func (s *Service) teardown(ctx context.Context, p Plan) error {
	var errs []error
	for _, g := range p.stop {
		if err := s.Teardown.StopServerGroup(ctx, g.env, g.sg); err != nil {
			errs = append(errs, fmt.Errorf("server group %s in %s: %w", g.sg.Name, g.env.Name, err))
		}
	}
	for _, d := range p.doors {
		if err := s.Teardown.RemoveFrontDoor(ctx, d.app, d.env); err != nil {
			errs = append(errs, fmt.Errorf("front door of %s in %s: %w", d.app, d.env.Name, err))
		}
	}
	for _, e := range p.envs {
		if err := s.Teardown.StopEnvironment(ctx, e); err != nil {
			errs = append(errs, fmt.Errorf("environment %s: %w", e.Name, err))
		}
	}
	return errors.Join(errs...)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings and numbers always marshal
	}
	return b
}

func describe(d store.DeleteResult) string {
	return fmt.Sprintf("deleted %s, %d executions, %d server groups, %d seconds of traffic",
		strings.Join(d.Objects, ", "), d.Executions, d.ServerGroups, d.TrafficSeconds)
}

func pipelineApp(w World) string {
	if len(w.Pipelines) == 1 {
		return w.Pipelines[0].Application
	}
	return ""
}
