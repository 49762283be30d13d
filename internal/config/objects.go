package config

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

// ValidateObjects checks config that arrives as JSON objects (through the
// API) with the same rules as YAML files: each object is rendered as a
// document and parsed, then references are checked against the set and
// opts.Existing. Errors name the object and field; their file is
// "<Kind>/<name>" and the column points into that object's JSON.
func ValidateObjects(cfg model.Config, opts LoadOptions) error {
	var errs Errors
	var docs []Document
	add := func(kind, name string, obj any) {
		data, err := renderDocument(kind, name, obj)
		if err != nil {
			errs.List = append(errs.List, Error{File: kind + "/" + name, Object: objectName(kind, name), Message: err.Error()})
			return
		}
		docs = append(docs, parse(kind+"/"+name, data, &errs)...)
	}
	for _, a := range cfg.Applications {
		add(model.KindApplication, a.Name, a)
	}
	for _, e := range cfg.Environments {
		add(model.KindEnvironment, e.Name, e)
	}
	for _, p := range cfg.Pipelines {
		add(model.KindPipeline, p.Name, p)
	}
	for _, t := range cfg.AnalysisTemplates {
		add(model.KindAnalysisTemplate, t.Name, t.Spec)
	}
	for _, t := range cfg.Teams {
		add(model.KindTeam, t.Name, t)
	}
	for _, g := range cfg.Grants {
		add(model.KindGrant, g.Name, g)
	}
	for _, n := range cfg.Notifications {
		add(model.KindNotification, n.Name, n)
	}
	errs.List = append(errs.List, checkSet(docs, opts.Existing)...)
	errs.List = append(errs.List, checkSLOObjects(docs, cfg, opts.Existing)...)
	return errs.err()
}

// checkSLOObjects checks resolved SLOs (which have no document form) on
// their own, then with the set: their names, environments, notifications,
// and the sloGates and shorthand SLOs that meet them.
func checkSLOObjects(docs []Document, cfg model.Config, existing model.Config) []Error {
	var errs []Error
	notifications := map[string]bool{}
	for _, n := range append(slices.Clone(existing.Notifications), cfg.Notifications...) {
		notifications[n.Name] = true
	}
	seen := map[string]bool{}
	for _, s := range cfg.SLOs {
		errs = append(errs, ValidateSLO(s)...)
		if seen[s.Name] {
			errs = append(errs, sloError(s.Name, "name", fmt.Sprintf("SLO %q is defined twice: rename or remove one", s.Name)))
		}
		seen[s.Name] = true
		for i, a := range s.Alerts {
			for j, n := range a.Notify {
				if !notifications[n] {
					errs = append(errs, sloError(s.Name, indexPath(indexPath("alerts", i)+".notify", j),
						fmt.Sprintf("no Notification is named %q: define one (kind: Notification) or apply it first%s", n, orList(n, "the Notifications", sortedKeys(notifications)))))
				}
			}
		}
	}
	return append(errs, checkSLOUse(docs, cfg.SLOs, existing, func(name, field, msg string) Error {
		if field == "metadata.name" {
			field = "name" // the JSON form's field
		}
		return sloError(name, field, msg)
	})...)
}

// renderDocument writes obj as a config document: its name goes to
// metadata, the rest (as JSON, which is YAML) to spec.
func renderDocument(kind, name string, obj any) ([]byte, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, err
	}
	delete(spec, "name")
	metadata := map[string]any{"name": name}
	if labels, ok := spec["labels"]; ok {
		metadata["labels"] = labels
		delete(spec, "labels")
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	meta, _ := json.Marshal(metadata)
	return fmt.Appendf(nil, "apiVersion: %s\nkind: %s\nmetadata: %s\nspec: %s\n", model.APIVersion, kind, meta, specJSON), nil
}
