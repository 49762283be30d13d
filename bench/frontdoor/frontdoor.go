package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
)

// server is one backend instance as haproxy sees it.
type server struct {
	id     string // group-index, as the backend answers in X-Backend
	addr   string // 127.0.0.1:port
	weight int    // haproxy weight: the group's share over its instances
	pid    int
}

// group is one server group of the benchmark and its traffic weight.
type group struct {
	name      string
	weight    int
	instances int
}

const (
	benchApp = "bench"
	benchEnv = "bench"
)

// startFrontDoor starts the groups' instances (this program in backend
// mode) with the local provider and its front door in front of them, only
// through the provider's exported API, as a deploy does. It returns the
// front door's address and the instances.
func startFrontDoor(ctx context.Context, p *local.Provider, groups []group) (string, []server, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	fd := local.FrontDoor{Application: benchApp, Environment: benchEnv, Address: "127.0.0.1:0"}
	var servers []server
	for _, g := range groups {
		spec := local.ServerGroupSpec{
			Name: g.name, Application: benchApp, Environment: benchEnv, Version: "v1", Instances: g.instances,
			Run: model.RunSpec{Command: exe, Env: model.InlineMap(map[string]string{backendEnv: "1", "BENCH_GROUP": g.name})},
			HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(time.Second),
				Timeout: model.Duration(time.Second), StartupTimeout: model.Duration(30 * time.Second)},
		}
		if err := p.EnsureServerGroup(ctx, spec); err != nil {
			return "", nil, err
		}
		if err := p.WaitHealthy(ctx, spec.Ref()); err != nil {
			return "", nil, err
		}
		h, err := p.Health(ctx, spec.Ref())
		if err != nil {
			return "", nil, err
		}
		for _, in := range h.Instances {
			servers = append(servers, server{id: g.name + "-" + strconv.Itoa(in.Index), addr: "127.0.0.1:" + strconv.Itoa(in.Port),
				weight: max(1, g.weight/g.instances), pid: in.PID})
		}
		fd.Routes = append(fd.Routes, local.Route{ServerGroup: g.name, Weight: g.weight, Canary: g.weight < 50})
	}
	if err := p.SetRoutes(ctx, fd); err != nil {
		return "", nil, err
	}
	addr := p.FrontDoorAddress(benchApp, benchEnv)
	if addr == "" {
		return "", nil, fmt.Errorf("the front door of %s/%s has no address", benchApp, benchEnv)
	}
	return addr, servers, nil
}

// newProvider is a local provider with its data in dir.
func newProvider(dir string) (*local.Provider, error) {
	return local.New(local.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler), PortMin: 28000, PortMax: 28999})
}
