package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/store"
)

// runKPI starts folding the event log into the KPI rollups (every
// replica runs one; the cursor's lock lets one fold each event) and
// registers the KPI metrics; wait returns when ctx has ended and the
// fold stopped.
func runKPI(ctx context.Context, st store.Store, reg prometheus.Registerer, log *slog.Logger) (wait func()) {
	teams := &teamCache{st: st}
	p := kpi.NewProjector(kpi.ProjectorConfig{Store: st, Logger: log, Metrics: kpi.NewMetrics(reg, teams.team)})
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	return func() { <-done }
}

// teamCache names applications' teams for the metrics' labels, read
// again at most every 30 s.
type teamCache struct {
	st    store.Store
	mu    sync.Mutex
	read  time.Time
	teams map[string]string
}

func (c *teamCache) team(app string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.read) > 30*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		apps, err := c.st.ApplicationList(ctx, store.ApplicationListParams{})
		cancel()
		if err == nil {
			c.teams = make(map[string]string, len(apps))
			for _, a := range apps {
				c.teams[a.Name] = a.Team
			}
			c.read = time.Now()
		}
	}
	return c.teams[app]
}
