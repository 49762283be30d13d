package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes/manifest"
)

// validateTarget checks the Kubernetes fields of an environment's target.
func validateTarget(doc *Document, t *model.TargetSpec) []Error {
	var errs []Error
	kube := t.Kind == model.TargetKubernetes
	if !kube {
		for _, f := range []struct {
			path string
			set  bool
		}{
			{"spec.target.traffic", t.Traffic != ""},
			{"spec.target.gateway", t.Gateway != nil},
		} {
			if f.set && doc.pos.has(f.path) {
				errs = append(errs, doc.errorf(f.path, "only kubernetes targets split traffic this way: remove it or set target.kind: kubernetes"))
			}
		}
		return errs
	}
	if t.Namespace != "" {
		if msg := checkName(t.Namespace); msg != "" {
			errs = append(errs, doc.errorf("spec.target.namespace", "namespace %s", msg))
		}
	}
	switch {
	case t.Traffic == model.TrafficGateway && t.Gateway == nil:
		errs = append(errs, doc.errorf("spec.target.traffic", "traffic: gateway needs the Gateway the HTTPRoute attaches to: add `gateway: {name: NAME, namespace: NS}` (or parentRefs for several)"))
	case t.Traffic != model.TrafficGateway && t.Gateway != nil:
		errs = append(errs, doc.errorf("spec.target.gateway", "a gateway is used only with traffic: gateway: set it, or remove gateway"))
	}
	return append(errs, validateGateway(doc, t)...) // validate_gateway.go
}

// validateManifest reads spec.manifest (relative to the config file) into
// ManifestTemplate and checks that the template renders to a Deployment.
func validateManifest(doc *Document, a *model.Application) []Error {
	if a.ManifestTemplate == "" && a.Manifest != "" {
		path := a.Manifest
		if !filepath.IsAbs(path) && doc.File != "" {
			path = filepath.Join(filepath.Dir(doc.File), path)
		}
		data, err := readTemplate(path)
		if err != nil {
			return []Error{doc.errorf("spec.manifest", "cannot read the manifests: %v: give a file or directory relative to this file", err)}
		}
		a.ManifestTemplate = string(data)
	}
	if a.ManifestTemplate == "" {
		return nil
	}
	field, source := "spec.manifestTemplate", "the inline manifestTemplate"
	switch {
	case a.Manifest != "":
		field, source = "spec.manifest", a.Manifest
	case a.Helm != nil:
		field, source = "spec.helm.chart", "the manifests rendered from chart "+a.Helm.Chart
	case a.Kustomize != nil:
		field, source = "spec.kustomize.path", "the manifests built from "+a.Kustomize.Path
	}
	if msg := checkDeploymentTemplate(source, a.ManifestTemplate); msg != "" {
		return []Error{doc.errorf(field, "%s", msg)}
	}
	return nil
}

// maxTemplateSize bounds a manifest file, and a manifest set in all.
const maxTemplateSize = 1 << 20

// readTemplate reads a manifest file, or every *.yaml, *.yml, *.json and
// *.tmpl file of a directory (not its subdirectories) in lexical order as
// one multi-document set: at most maxTemplateSize bytes in all.
func readTemplate(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return readManifestDir(path)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > maxTemplateSize {
		return nil, fmt.Errorf("%s is %d bytes: a manifest set has at most %d", path, fi.Size(), maxTemplateSize)
	}
	return os.ReadFile(path)
}

func readManifestDir(dir string) ([]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []byte
	n := 0
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json", ".tmpl":
		default:
			continue
		}
		if !e.Type().IsRegular() {
			continue // symlinks and directories stay out
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if len(out)+len(data) > maxTemplateSize {
			return nil, fmt.Errorf("the manifests in %s are more than %d bytes: a manifest set has at most that", dir, maxTemplateSize)
		}
		out = append(append(out, "\n---\n"...), data...)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s holds no .yaml, .yml, .json or .tmpl file", dir)
	}
	return out, nil
}

var placeholder = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

// TemplatePlaceholders are the names a Deployment template may use.
var TemplatePlaceholders = []string{"app", "version", "serverGroup", "replicas", "image"}

// checkDeploymentTemplate returns what is wrong with a manifest set (one
// Deployment, or a Deployment with the objects that go with it), naming
// source, or "".
func checkDeploymentTemplate(source, tmpl string) string {
	for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
		if !contains(TemplatePlaceholders, m[1]) {
			return fmt.Sprintf("%s: unknown placeholder {{%s}}: use one of {{%s}}", source, m[1], strings.Join(TemplatePlaceholders, "}}, {{"))
		}
	}
	rendered := placeholder.ReplaceAllString(tmpl, "1")
	objs, err := manifest.Split(source, rendered)
	if err == nil {
		err = manifest.Check(source, objs)
	}
	if err != nil {
		return strings.ReplaceAll(err.Error(), "\n", "; ") // errors.Join's lines, on one
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validateResources checks that requests and limits look like quantities.
func validateResources(doc *Document, r *model.Resources) []Error {
	if r == nil {
		return nil
	}
	var errs []Error
	for _, q := range []struct{ path, v string }{
		{"spec.resources.requests.cpu", r.Requests.CPU}, {"spec.resources.requests.memory", r.Requests.Memory},
		{"spec.resources.limits.cpu", r.Limits.CPU}, {"spec.resources.limits.memory", r.Limits.Memory},
	} {
		if q.v != "" && !quantity.MatchString(q.v) {
			errs = append(errs, doc.errorf(q.path, "%q is not a Kubernetes quantity: write one such as 250m (cpu) or 256Mi (memory)", q.v))
		}
	}
	return errs
}

// quantity matches Kubernetes resource quantities (a subset is enough to
// catch typos; the API server has the last word).
var quantity = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]+)?$`)
