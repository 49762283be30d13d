package server

import (
	"sync"

	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
)

// metricSources builds the metric sources of canary analysis: the local
// front door for local environments, Prometheus clients (one per address)
// and the HTTP JSON source.
func metricSources(prov *local.Provider) func(env model.Environment, spec model.AnalysisSpec) (map[string]source.Source, error) {
	var mu sync.Mutex
	proms := map[string]*source.Prometheus{}
	return func(env model.Environment, spec model.AnalysisSpec) (map[string]source.Source, error) {
		out := map[string]source.Source{model.SourceHTTP: source.HTTPJSON{}}
		if prov != nil && (env.Target.Kind == model.TargetLocal || env.Target.Kind == "") {
			out[model.SourceFrontDoor] = source.FrontDoor{Seconds: prov.Seconds}
		}
		if spec.Prometheus != "" {
			mu.Lock()
			defer mu.Unlock()
			p, ok := proms[spec.Prometheus]
			if !ok {
				var err error
				if p, err = source.NewPrometheus(spec.Prometheus); err != nil {
					return nil, err
				}
				proms[spec.Prometheus] = p
			}
			out[model.SourcePrometheus] = p
		}
		return out, nil
	}
}
