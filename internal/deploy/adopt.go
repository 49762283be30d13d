package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// AdoptRequest asks to take over a workload gennaker did not create.
type AdoptRequest struct {
	Application string `json:"application"`
	Environment string `json:"environment"`
	// Deployment is the name of the Kubernetes Deployment to adopt.
	Deployment string `json:"deployment"`
	// TakeService hands the team's own Service of the application's stable
	// name (spec.service.name, default the application's name) to gennaker,
	// which then sets its selector and keeps its ports. Without it, such a
	// Service is left alone and the adoption is refused.
	TakeService bool `json:"takeService,omitempty"`
	// Actor is the authenticated caller (never read from a request body).
	Actor string `json:"-"`
}

// Adopter takes over an existing workload in an environment and returns it
// as the application's first server group, serving all traffic.
type Adopter interface {
	Adopt(ctx context.Context, app model.Application, env model.Environment, req AdoptRequest) (model.ServerGroup, error)
}

// Adopt records an existing Kubernetes Deployment as server group 1 of the
// application in the environment. The environment must have no server
// groups of the application yet.
func (s *Service) Adopt(ctx context.Context, req AdoptRequest) (*model.ServerGroup, error) {
	app, env, err := s.check(ctx, req.Application, req.Environment)
	if err != nil {
		return nil, err
	}
	if env.Target.Kind != model.TargetKubernetes {
		return nil, badRequest("environment %s has target kind %q: only kubernetes environments can adopt a Deployment", env.Name, env.Target.Kind)
	}
	if s.Adopter == nil {
		return nil, errors.New("this server was built without a Kubernetes adopter: run `gennaker server`, which has one")
	}
	if req.Deployment == "" {
		return nil, badRequest("name the Deployment to adopt with --deployment")
	}
	existing, err := s.Store.ServerGroupList(ctx, store.ServerGroupListParams{Application: app.Name, Environment: env.Name, IncludeDestroyed: true})
	if err != nil {
		return nil, err
	}
	// An adopted group is number 1 of its environment (numbers count per
	// environment), so the environment must have none yet, destroyed ones
	// included: checked before the Deployment is touched.
	if len(existing) > 0 {
		return nil, badRequest("%s already has server groups in %s (%s, ...): adopt only into an environment gennaker has not deployed the application to", app.Name, env.Name, existing[0].Name)
	}
	sg, err := s.Adopter.Adopt(ctx, *app, *env, req)
	if err != nil {
		return nil, fmt.Errorf("adopt Deployment %s for %s in %s: %w", req.Deployment, app.Name, env.Name, err)
	}
	now := time.Now().UTC()
	sg.Environment, sg.CreatedAt, sg.UpdatedAt = env.Name, now, now
	if err := s.Store.ServerGroupInsert(ctx, &sg); err != nil {
		return nil, fmt.Errorf("recording adopted server group %s: %w", sg.Name, err)
	}
	err = s.Store.EventInsert(ctx, &model.Event{
		Kind: model.EventManualStep, Action: "adopt", Application: app.Name, Environment: env.Name,
		Actor: req.Actor, Trigger: "adopt", Detail: "adopted Deployment " + req.Deployment + " as " + sg.Name,
	})
	return &sg, err
}
