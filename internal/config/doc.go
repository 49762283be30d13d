// Package config reads gennaker's Kubernetes-shaped YAML documents (kind
// Application, Environment, Pipeline, AnalysisTemplate, Team and Grant)
// into a model.Config.
//
// Every document looks like
//
//	apiVersion: gennaker.dev/v1alpha1
//	kind: Pipeline
//	metadata:
//	  name: release
//	spec:
//	  application: checkout
//	  stages: [...]
//
// Field names under spec are the json tags of the model types. The package
// decodes strictly (unknown fields and wrong YAML types are errors), fills the
// documented defaults, and validates each object and the references between
// objects. It reports every problem it finds, not just the first, as one
// *Errors value whose entries carry file:line:column, the object, the field
// path and what to do about it.
//
// Schema returns a JSON Schema of the same documents for editors; it is
// generated from the same model types and rules the decoder uses.
package config
