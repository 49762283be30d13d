package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gennaker/gennaker/internal/model"
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
			return []Error{doc.errorf("spec.manifest", "cannot read the Deployment template: %v: give a path relative to this file", err)}
		}
		a.ManifestTemplate = string(data)
	}
	if a.ManifestTemplate == "" {
		return nil
	}
	field, file := "spec.manifestTemplate", "the inline manifestTemplate"
	if a.Manifest != "" {
		field, file = "spec.manifest", a.Manifest
	}
	if msg := checkDeploymentTemplate(a.ManifestTemplate); msg != "" {
		return []Error{doc.errorf(field, "%s: %s", file, msg)}
	}
	return nil
}

// maxTemplateSize bounds a Deployment template file.
const maxTemplateSize = 1 << 20

// readTemplate reads a regular file of at most maxTemplateSize bytes.
func readTemplate(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > maxTemplateSize {
		return nil, fmt.Errorf("%s is %d bytes: a Deployment template has at most %d", path, fi.Size(), maxTemplateSize)
	}
	return os.ReadFile(path)
}

var placeholder = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

// TemplatePlaceholders are the names a Deployment template may use.
var TemplatePlaceholders = []string{"app", "version", "serverGroup", "replicas", "image"}

// checkDeploymentTemplate returns what is wrong with a Deployment template, or "".
func checkDeploymentTemplate(tmpl string) string {
	for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
		if !contains(TemplatePlaceholders, m[1]) {
			return fmt.Sprintf("unknown placeholder {{%s}}: use one of {{%s}}", m[1], strings.Join(TemplatePlaceholders, "}}, {{"))
		}
	}
	rendered := placeholder.ReplaceAllString(tmpl, "1")
	var obj struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
	}
	dec := yaml.NewDecoder(strings.NewReader(rendered))
	if err := dec.Decode(&obj); err != nil {
		return fmt.Sprintf("not a YAML Kubernetes object: %v", err)
	}
	var extra any
	if err := dec.Decode(&extra); err == nil && extra != nil {
		return "holds more than one document: keep only the Deployment (gennaker creates the Services itself)"
	}
	if obj.Kind != "Deployment" || obj.APIVersion != "apps/v1" {
		found := obj.Kind
		if found == "" {
			found = "no kind"
		}
		return fmt.Sprintf("the template must be an apps/v1 Deployment, found %s (apiVersion %q)", found, obj.APIVersion)
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
