package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// LoadOptions tunes loading.
type LoadOptions struct {
	// Existing holds objects stored earlier. They satisfy references from the
	// loaded documents (a pipeline applied on its own may name an application
	// applied before) and are not returned. Loaded objects with the same kind
	// and name replace them.
	Existing model.Config
}

// LoadDir loads every *.yaml and *.yml file under dir, recursively, in
// lexical order. The error is an *Errors when documents are wrong, or a
// plain error when files cannot be read.
func LoadDir(dir string, opts LoadOptions) (model.Config, error) {
	paths, err := FindFiles(dir)
	if err != nil {
		return model.Config{}, err
	}
	return LoadFiles(paths, opts)
}

// FindFiles lists the config files under dir (*.yaml, *.yml), in lexical
// order. It skips hidden directories, Helm charts and kustomizations (a
// directory with Chart.yaml or kustomization.yaml) and files of Kubernetes
// objects only (every apiVersion outside gennaker.dev and openslo/v1): an application's
// manifests may live beside its config.
func FindFiles(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir && (strings.HasPrefix(d.Name(), ".") || isManifestSource(path)) {
			return filepath.SkipDir // .git and friends, charts, overlays
		}
		if !d.IsDir() && isYAML(path) && !kubernetesOnly(path) {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read config directory: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("read config directory %s: no .yaml or .yml files in it", dir)
	}
	slices.Sort(paths)
	return paths, nil
}

// isManifestSource reports whether dir is a Helm chart or a kustomization.
func isManifestSource(dir string) bool {
	for _, f := range []string{"Chart.yaml", "kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

var apiVersionLine = regexp.MustCompile(`(?m)^apiVersion:\s*["']?([^"'\s#]+)`)

// kubernetesOnly reports whether a file holds Kubernetes objects and no
// gennaker config: it has apiVersion lines, none in the gennaker.dev group
// nor openslo/v1.
func kubernetesOnly(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil || len(data) > maxTemplateSize {
		return false // LoadFiles reports it
	}
	found := apiVersionLine.FindAllSubmatch(data, -1)
	if len(found) == 0 {
		return false
	}
	for _, m := range found {
		if g, _, _ := strings.Cut(string(m[1]), "/"); strings.HasPrefix(g, "gennaker.dev") || string(m[1]) == model.OpenSLOAPIVersion {
			return false
		}
	}
	return true
}

func isYAML(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yaml" || ext == ".yml"
}

// LoadFiles loads the given files in the given order as one set: each object
// is checked, then references between them (and to opts.Existing) are.
// Errors name files as they are given here.
func LoadFiles(paths []string, opts LoadOptions) (model.Config, error) {
	var errs Errors
	var docs []Document
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return model.Config{}, fmt.Errorf("read config: %w", err)
		}
		docs = append(docs, parse(path, data, &errs)...)
	}
	errs.List = append(errs.List, checkSet(docs, opts.Existing)...)
	slos, failed, sloErrs := resolveOpenSLO(docs, opts.Existing) // openslo_resolve.go
	errs.List = append(errs.List, sloErrs...)
	errs.List = append(errs.List, checkSLOUse(docs, append(slices.Clone(slos), failed...), opts.Existing, docLocator(docs))...)
	if err := errs.err(); err != nil {
		return model.Config{}, err
	}
	cfg := assemble(docs)
	cfg.SLOs = slos
	return cfg, nil
}

// assemble collects the decoded objects in load order.
func assemble(docs []Document) model.Config {
	cfg := model.Config{
		Applications: []model.Application{},
		Environments: []model.Environment{},
		Pipelines:    []model.Pipeline{},
	}
	for _, d := range docs {
		switch {
		case d.Application != nil:
			cfg.Applications = append(cfg.Applications, *d.Application)
		case d.Environment != nil:
			cfg.Environments = append(cfg.Environments, *d.Environment)
		case d.Pipeline != nil:
			cfg.Pipelines = append(cfg.Pipelines, *d.Pipeline)
		case d.AnalysisTemplate != nil:
			cfg.AnalysisTemplates = append(cfg.AnalysisTemplates, *d.AnalysisTemplate)
		case d.Team != nil:
			cfg.Teams = append(cfg.Teams, *d.Team)
		case d.Grant != nil:
			cfg.Grants = append(cfg.Grants, *d.Grant)
		case d.Notification != nil:
			cfg.Notifications = append(cfg.Notifications, *d.Notification)
		}
	}
	return cfg
}
