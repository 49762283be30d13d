package kubernetes

import (
	"context"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/model"
)

// staleRoutes remembers, per application, that the HTTPRoutes a changed
// environment no longer uses were looked for: the application's route
// once traffic is by replicas, its mesh route once mesh is off. One look
// per application and provider (a provider is rebuilt when its
// environment's target changes).
type staleRoutes struct {
	mu   sync.Mutex
	done map[string]bool
}

// removeStaleRoutes deletes the HTTPRoutes gennaker wrote for app that the
// environment's traffic config no longer asks for, so a Gateway or mesh
// never keeps routing to groups gennaker has stopped managing there.
// Routes that are gone, and a cluster without the Gateway API, are fine.
func (p *Provider) removeStaleRoutes(ctx context.Context, app model.Application) error {
	p.stale.mu.Lock()
	defer p.stale.mu.Unlock()
	if p.stale.done[app.Name] {
		return nil
	}
	var names []string
	if p.traffic != model.TrafficGateway {
		names = append(names, app.Name, MeshRouteName(app))
	} else if p.gateway == nil || !p.gateway.Mesh {
		names = append(names, MeshRouteName(app))
	}
	for _, n := range names {
		err := p.retry(ctx, p.what("delete", "HTTPRoute", n), func(ctx context.Context) error {
			err := p.gw.GatewayV1().HTTPRoutes(p.ns).Delete(ctx, n, metav1.DeleteOptions{})
			switch {
			case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
				return nil // gone, or no Gateway API in this cluster
			case apierrors.IsForbidden(err):
				// A Role without HTTPRoutes (replicas only) cannot have
				// written one either: nothing of gennaker's to remove.
				p.log.Debug("kubernetes: not allowed to look for a stale HTTPRoute", "route", n, "err", err)
				return nil
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	if p.stale.done == nil {
		p.stale.done = map[string]bool{}
	}
	p.stale.done[app.Name] = true
	return nil
}
