// Package model holds gennaker's domain types: the configuration kinds a team
// writes as YAML (Application, Environment, Pipeline), and the runtime records
// the engine keeps (Execution, Stage, ServerGroup, Event).
//
// The package has no I/O. Every other package speaks in these types, so they
// stay small, documented and serialisable as JSON (the API and the store both
// use the json tags).
package model
