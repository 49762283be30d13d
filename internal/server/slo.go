package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/eval"
	"github.com/gennaker/gennaker/internal/slo/frontdoor"
	"github.com/gennaker/gennaker/internal/slo/prom"
	"github.com/gennaker/gennaker/internal/store"
)

// newSLOSources are the SLI sources by name, shared by the evaluator and
// the SLO reports (SLA months, deploy burns).
func newSLOSources(st store.Store) map[string]slo.Source {
	return map[string]slo.Source{
		model.SLOSourceFrontDoor:  &frontdoor.Source{Store: st, Environments: st, Seconds: st},
		model.SLOSourcePrometheus: prom.NewSource(prom.Options{}),
	}
}

// runSLO starts the SLO evaluator (every replica runs one; the lease lets
// one evaluate at a time) and, beside the local target, the rollup of its
// front doors' seconds into the minutes the front-door SLIs read; it
// registers the SLO metrics. wait returns once ctx has ended and both
// stopped.
func runSLO(ctx context.Context, st store.Store, prov *local.Provider, sources map[string]slo.Source, reg prometheus.Registerer, interval time.Duration, log *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	if prov != nil {
		r := &frontdoor.Rollup{Store: st, Logger: log}
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(ctx) }()
	}
	e := eval.New(eval.Config{Store: st, Sources: sources, Interval: interval, Logger: log, Metrics: eval.NewMetrics(reg)})
	wg.Add(1)
	go func() { defer wg.Done(); e.Run(ctx) }()
	return wg.Wait
}
