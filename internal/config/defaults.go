package config

import (
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Defaults filled in when a field is omitted (or zero).
const (
	DefaultInstances      = 1
	DefaultHealthPath     = "/healthz"
	DefaultHealthInterval = model.Duration(2 * time.Second)
	DefaultHealthTimeout  = model.Duration(1 * time.Second)
	DefaultHealthStartup  = model.Duration(60 * time.Second)
	DefaultTargetKind     = model.TargetLocal
	DefaultTraffic        = model.TrafficReplicas
	DefaultStrategy       = model.StrategyHighlander
)

// applyDefaults fills omitted fields after validation.
func applyDefaults(doc *Document) {
	switch {
	case doc.Application != nil:
		a := doc.Application
		if a.Instances == 0 {
			a.Instances = DefaultInstances
		}
		hc := &a.HealthCheck
		if hc.Path == "" {
			hc.Path = DefaultHealthPath
		}
		if hc.Interval == 0 {
			hc.Interval = DefaultHealthInterval
		}
		if hc.Timeout == 0 {
			hc.Timeout = DefaultHealthTimeout
		}
		if hc.StartupTimeout == 0 {
			hc.StartupTimeout = DefaultHealthStartup
		}
	case doc.Environment != nil:
		if doc.Environment.Target.Kind == "" {
			doc.Environment.Target.Kind = DefaultTargetKind
		}
		if t := &doc.Environment.Target; t.Kind == model.TargetKubernetes && t.Traffic == "" {
			t.Traffic = DefaultTraffic
		}
	case doc.Pipeline != nil:
		for i := range doc.Pipeline.Stages {
			if d := doc.Pipeline.Stages[i].Deploy; d != nil && d.Strategy.Type == "" {
				d.Strategy.Type = DefaultStrategy
			}
		}
	}
}
