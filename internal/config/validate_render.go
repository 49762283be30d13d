package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes/render"
)

// validateRendered renders spec.helm or spec.kustomize into the
// application's manifest set (ManifestTemplate) when the config is loaded:
// the server never needs the chart or the overlay. The deployed version and
// server group are passed as the placeholders {{version}} and
// {{serverGroup}}, filled for each server group at deploy time.
func validateRendered(doc *Document, a *model.Application) []Error {
	if a.Helm != nil && a.Kustomize != nil || (a.Helm != nil || a.Kustomize != nil) && a.Manifest != "" {
		field := "spec.helm"
		if a.Helm == nil {
			field = "spec.kustomize"
		}
		return []Error{doc.errorf(field, "an application's manifests come from one of manifest, helm or kustomize: keep one")}
	}
	if a.ManifestTemplate != "" || a.Helm == nil && a.Kustomize == nil {
		return nil // already rendered (the server re-checking what apply sent), or nothing to render
	}
	var text string
	var field string
	var err error
	if a.Helm != nil {
		field = "spec.helm.chart"
		text, err = renderHelm(doc, a)
	} else {
		field = "spec.kustomize.path"
		text, err = renderKustomize(doc, a)
	}
	if err != nil {
		return []Error{doc.errorf(field, "%v", err)}
	}
	a.ManifestTemplate = text // validateManifest checks it
	return nil
}

// relative resolves a path of the config file.
func relative(doc *Document, p string) string {
	if filepath.IsAbs(p) || doc.File == "" {
		return p
	}
	return filepath.Join(filepath.Dir(doc.File), p)
}

// identity is what a render knows of the server group: placeholders.
func identity(a *model.Application) render.Identity {
	return render.Identity{App: a.Name, ServerGroup: "{{serverGroup}}", Version: "{{version}}"}
}

func renderHelm(doc *Document, a *model.Application) (string, error) {
	h := a.Helm
	path := relative(doc, h.Chart)
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the chart: %v: give a chart directory or .tgz relative to this file", err)
	}
	chart := render.Chart{Name: h.Chart}
	if fi.IsDir() {
		chart.FS, chart.Dir = os.DirFS(path), "."
	} else {
		if fi.Size() > 10<<20 {
			return "", fmt.Errorf("%s is %d bytes: a chart archive has at most 10 MiB", h.Chart, fi.Size())
		}
		if chart.Archive, err = os.ReadFile(path); err != nil {
			return "", err
		}
	}
	opts := render.HelmOptions{
		ReleaseName: cmpOr(h.ReleaseName, a.Name), Set: h.Set, Gennaker: identity(a),
		ImageTagPaths: h.ImageTagPaths,
	}
	if h.SkipHooks {
		opts.Hooks = render.Skip
	}
	if h.SkipCRDs {
		opts.CRDs = render.Skip
	}
	for _, f := range h.ValuesFiles {
		data, err := readTemplate(relative(doc, f))
		if err != nil {
			return "", fmt.Errorf("values file %s: %v", f, err)
		}
		opts.ValuesFiles = append(opts.ValuesFiles, render.ValuesFile{Name: f, Data: data})
	}
	objs, err := render.Helm(context.Background(), chart, opts)
	if err != nil {
		return "", err
	}
	return string(render.Manifest(objs)), nil
}

func renderKustomize(doc *Document, a *model.Application) (string, error) {
	k := a.Kustomize
	root := filepath.Dir(relative(doc, "x"))
	if k.Root != "" {
		root = relative(doc, k.Root)
	}
	dir, err := filepath.Rel(root, relative(doc, k.Path))
	if err != nil || dir == ".." || strings.HasPrefix(dir, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside %s: set kustomize.root to a directory that holds the overlay and its bases", k.Path, root)
	}
	opts := render.KustomizeOptions{}
	if name, _, ok := strings.Cut(a.Image, ":{{version}}"); ok && name != "" {
		opts.Images = []render.Image{{Name: name, NewTag: "{{version}}"}}
	}
	objs, err := render.Kustomize(context.Background(), os.DirFS(root), filepath.ToSlash(dir), opts)
	if err != nil {
		return "", err
	}
	return string(render.Manifest(objs)), nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
