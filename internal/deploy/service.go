package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Starter starts executions of pipeline definitions.
type Starter interface {
	StartPipeline(ctx context.Context, pl model.Pipeline, params map[string]string, trigger model.Trigger, guard engine.Guard) (*model.Execution, error)
}

// Inspector reads live facts about server groups from their target.
type Inspector interface {
	Health(ctx context.Context, env model.Environment, sg model.ServerGroup) (healthy, total int, err error)
	Logs(ctx context.Context, env model.Environment, sg model.ServerGroup, tail int) (string, error)
}

// Service implements deploy, rollback, status and logs over the engine.
type Service struct {
	Store     store.Store
	Engine    Starter
	Inspector Inspector
	// Adopter takes over existing Kubernetes Deployments (optional).
	Adopter Adopter
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", engine.ErrBadRequest, fmt.Sprintf(format, args...))
}

func (s *Service) check(ctx context.Context, app, env string) (*model.Application, *model.Environment, error) {
	a, err := s.Store.ApplicationGet(ctx, app)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w: application %q does not exist: apply its config with `gennaker apply -f DIR`", store.ErrNotFound, app)
	}
	if err != nil {
		return nil, nil, err
	}
	if env == "" {
		return nil, nil, badRequest("name the environment with --env")
	}
	e, err := s.Store.EnvironmentGet(ctx, env)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w: environment %q does not exist: apply its config with `gennaker apply -f DIR`", store.ErrNotFound, env)
	}
	return a, e, err
}

// Deploy starts a pipeline that deploys req.Version: the named pipeline, the
// application's only pipeline deploying to the environment, or a one-stage
// highlander deploy.
//
// The version must be a safe token (model.CheckVersion) and the variables
// the deploy sets (req.Env, and env.NAME parameters) must be listed in the
// application's deployEnv (Application.CheckDeployEnv). The deploy stage
// checks both again, for runs started without this service.
func (s *Service) Deploy(ctx context.Context, req Request) (*model.Execution, error) {
	app, _, err := s.check(ctx, req.Application, req.Environment)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Version) == "" {
		return nil, badRequest("name the version to deploy with --version")
	}
	if err := model.CheckVersion(req.Version); err != nil {
		return nil, fmt.Errorf("%w: --version: %w", engine.ErrBadRequest, err)
	}
	params := map[string]string{}
	for k, v := range req.Params {
		params[k] = v
	}
	params["version"] = req.Version
	for k, v := range req.Env {
		params[model.DeployEnvParam+k] = v
	}
	if err := app.CheckDeployEnv(model.DeployEnvFromParams(params)); err != nil {
		return nil, fmt.Errorf("%w: %w", engine.ErrBadRequest, err)
	}
	pl, err := s.pipelineFor(ctx, req)
	if err != nil {
		return nil, err
	}
	return s.Engine.StartPipeline(ctx, *pl, params, model.Trigger{Kind: "deploy", Actor: req.Actor, CommitSHA: req.CommitSHA, CommitTime: req.CommitTime}, req.Guard)
}

func (s *Service) pipelineFor(ctx context.Context, req Request) (*model.Pipeline, error) {
	if req.Pipeline != "" {
		pl, err := s.Store.PipelineGet(ctx, req.Pipeline)
		if errors.Is(err, store.ErrNotFound) {
			return nil, badRequest("pipeline %q does not exist: list them with `gennaker pipelines`", req.Pipeline)
		}
		if err != nil {
			return nil, err
		}
		if pl.Application != req.Application {
			return nil, badRequest("pipeline %s deploys %s, not %s", pl.Name, pl.Application, req.Application)
		}
		if !deploysTo(*pl, req.Environment) {
			return nil, badRequest("pipeline %s has no deploy stage for environment %s", pl.Name, req.Environment)
		}
		return pl, nil
	}
	pls, err := s.Store.PipelineList(ctx, store.PipelineListParams{Application: req.Application})
	if err != nil {
		return nil, err
	}
	var matches []model.Pipeline
	for _, pl := range pls {
		if deploysTo(pl, req.Environment) {
			matches = append(matches, pl)
		}
	}
	switch len(matches) {
	case 1:
		return &matches[0], nil
	case 0:
		return &model.Pipeline{
			Name: "deploy-" + req.Environment, Application: req.Application,
			Description: "one-off highlander deploy (no pipeline deploys this application to this environment)",
			Stages: []model.StageSpec{{Name: "deploy", Deploy: &model.DeployStage{
				Environment: req.Environment, Strategy: model.Strategy{Type: model.StrategyHighlander},
			}}},
		}, nil
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = m.Name
	}
	return nil, badRequest("several pipelines deploy %s to %s (%s): choose one with --pipeline", req.Application, req.Environment, strings.Join(names, ", "))
}

func deploysTo(pl model.Pipeline, env string) bool {
	for _, st := range pl.Stages {
		if st.Deploy != nil && st.Changes(env) {
			return true
		}
	}
	return false
}

// Rollback starts a one-stage execution that sends the environment's traffic
// back to the previous good server group.
func (s *Service) Rollback(ctx context.Context, req RollbackRequest) (*model.Execution, error) {
	if _, _, err := s.check(ctx, req.Application, req.Environment); err != nil {
		return nil, err
	}
	if err := s.noDeployInProgress(ctx, req.Application, req.Environment); err != nil {
		return nil, err
	}
	pl := model.Pipeline{
		Name: "rollback-" + req.Environment, Application: req.Application,
		Description: "one-click rollback",
		Stages:      []model.StageSpec{{Name: "rollback", Rollback: &model.RollbackStage{Environment: req.Environment}}},
	}
	exec, err := s.Engine.StartPipeline(ctx, pl, nil, model.Trigger{Kind: "rollback", Actor: req.Actor}, req.Guard)
	if err != nil {
		return nil, err
	}
	err = s.Store.EventInsert(ctx, &model.Event{
		Kind: model.EventManualStep, Action: "rollback", Application: req.Application, Environment: req.Environment,
		ExecutionID: exec.ID, Actor: req.Actor, Trigger: "rollback", Detail: req.Reason,
	})
	return exec, err
}

// noDeployInProgress refuses a one-click rollback while a deploy of the
// application to the environment is on its way: the rollback would queue
// behind it (one deploy at a time) and then roll back one version too many.
// Canceling the deploy is the rollback: its abort puts traffic back where it
// was. A second rollback while one runs is refused too. A deploy that has
// not started (its execution waits for an approval first) does not block it.
func (s *Service) noDeployInProgress(ctx context.Context, app, env string) error {
	execs, err := s.Store.ExecutionList(ctx, store.ExecutionListParams{Application: app, Statuses: []model.ExecutionStatus{model.ExecutionRunning}, Limit: 1000})
	if err != nil {
		return err
	}
	for _, e := range execs {
		for _, st := range e.Stages {
			spec, ok := e.Spec.Stage(st.Name)
			if !ok || !spec.Changes(env) || (st.Status != model.StageRunning && st.Status != model.StageWaiting) {
				continue
			}
			if spec.Rollback != nil {
				return fmt.Errorf("%w: execution %s is already rolling back %s in %s: watch it with `gennaker execution %s --watch`; roll back again when it has ended to go one version further",
					store.ErrConflict, e.ID, app, env, e.ID)
			}
			return fmt.Errorf("%w: execution %s is deploying %s to %s (stage %s, %s): cancel it with `gennaker cancel %s`, which puts traffic back where it was before that deploy, or wait for it to end and roll back then",
				store.ErrConflict, e.ID, app, env, st.Name, st.Status, e.ID)
		}
	}
	return nil
}

// Logs returns the last lines of every running instance of app in env.
func (s *Service) Logs(ctx context.Context, app, envName string, tail int) (string, error) {
	groups, err := s.GroupLogs(ctx, app, envName, tail)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, g := range groups {
		if g.Error != "" {
			fmt.Fprintf(&b, "== %s (%s): %s\n", g.ServerGroup, g.Version, g.Error)
			continue
		}
		fmt.Fprintf(&b, "== %s (%s, %s)\n%s", g.ServerGroup, g.Version, g.Status, g.Text)
	}
	if b.Len() == 0 {
		return fmt.Sprintf("no server groups of %s run in %s\n", app, envName), nil
	}
	return b.String(), nil
}

// GroupLogs is the recent output of one server group's instances.
type GroupLogs struct {
	ServerGroup string                  `json:"serverGroup"`
	Version     string                  `json:"version"`
	Status      model.ServerGroupStatus `json:"status"`
	// Text is the last lines of each instance, each block headed by the instance.
	Text string `json:"text,omitempty"`
	// Error says why the logs could not be read.
	Error string `json:"error,omitempty"`
}

// GroupLogs returns the recent output of every server group of app in envName.
func (s *Service) GroupLogs(ctx context.Context, app, envName string, tail int) ([]GroupLogs, error) {
	_, env, err := s.check(ctx, app, envName)
	if err != nil {
		return nil, err
	}
	groups, err := s.Store.ServerGroupList(ctx, store.ServerGroupListParams{Application: app, Environment: envName})
	if err != nil {
		return nil, err
	}
	out := []GroupLogs{}
	for _, sg := range groups {
		if s.Inspector == nil {
			break
		}
		g := GroupLogs{ServerGroup: sg.Name, Version: sg.Version, Status: sg.Status}
		if g.Text, err = s.Inspector.Logs(ctx, *env, sg, tail); err != nil {
			g.Error = err.Error()
		}
		out = append(out, g)
	}
	return out, nil
}
