// Package manifest checks an application's Kubernetes manifest set: the
// kinds gennaker deploys with a server group and what it does with each.
// It is pure (no cluster access), shared by config validation, which
// reports problems at apply time, and the Kubernetes provider.
package manifest

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Rule says what gennaker does with one kind of object in a set.
type Rule struct {
	APIVersion string
	Versioned  bool
}

// Kinds are the kinds a manifest set may hold, besides its Deployment.
var Kinds = map[string]Rule{
	"ConfigMap":               {APIVersion: "v1", Versioned: true},
	"HorizontalPodAutoscaler": {APIVersion: "autoscaling/v2", Versioned: true},
	"PodDisruptionBudget":     {APIVersion: "policy/v1", Versioned: true},
	"Secret":                  {APIVersion: "v1", Versioned: true},
	"Service":                 {APIVersion: "v1"},
	"ServiceAccount":          {APIVersion: "v1"},
}

// KindNames lists SetKinds for messages.
const KindNames = "Deployment (exactly one), ConfigMap, Secret (values by reference), Service, ServiceAccount, HorizontalPodAutoscaler (autoscaling/v2) and PodDisruptionBudget (policy/v1)"

// ErrSecret: a Secret in a manifest set holds a value instead of a reference.
var ErrSecret = errors.New("a Secret in a manifest set holds its values by reference only")

// SecretRef matches the placeholder a Secret's stringData value must be:
// {{secretRef env:NAME}} or {{secretRef file:/path}}, read by the gennaker
// server when it applies the server group, never stored in its config or
// records.
var SecretRef = regexp.MustCompile(`^\{\{\s*secretRef\s+(env|file):([^\s}]+)\s*\}\}$`)

// checkSecret refuses a Secret whose values are written in the manifest:
// they would be stored in gennaker's config.
func checkSecret(o map[string]any) error {
	if data, _ := o["data"].(map[string]any); len(data) > 0 {
		return fmt.Errorf("%w: its data holds values, which would be stored in gennaker's config: write each as stringData KEY: \"{{secretRef env:NAME}}\" (or file:/path), read by the gennaker server when it deploys, or keep the Secret in the namespace and reference it", ErrSecret)
	}
	sd, _ := o["stringData"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(sd)) {
		v, _ := sd[k].(string)
		if !SecretRef.MatchString(v) {
			return fmt.Errorf("%w: stringData.%s is not a {{secretRef env:NAME}} or {{secretRef file:/path}} reference (a value here would be stored in gennaker's config)", ErrSecret, k)
		}
	}
	return nil
}

// Split parses a multi-document YAML (or JSON) text into objects,
// skipping empty documents. source names it for errors.
func Split(source, text string) ([]map[string]any, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096)
	var out []map[string]any
	for i := 1; ; i++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d is not a YAML Kubernetes object: %w", source, i, err)
		}
		if len(m) > 0 {
			out = append(out, m)
		}
	}
}

// Check reports what is wrong with a manifest set's objects (before
// placeholders are filled): the kinds, one Deployment, no Secret, names.
// Config validation and the Kubernetes provider share it.
func Check(source string, objs []map[string]any) error {
	var errs []error
	deployments := 0
	seen := map[string]bool{}
	for i, o := range objs {
		kind, _ := o["kind"].(string)
		apiVersion, _ := o["apiVersion"].(string)
		name := metaName(o)
		where := fmt.Sprintf("%s: document %d (%s %q)", source, i+1, kind, name)
		switch {
		case kind == "Deployment":
			if apiVersion != "apps/v1" {
				errs = append(errs, fmt.Errorf("%s: a Deployment must be apps/v1, found %q", where, apiVersion))
			}
			deployments++
			continue
		case kind == "Secret":
			if err := checkSecret(o); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				continue
			}
		case kind == "":
			errs = append(errs, fmt.Errorf("%s: no kind: every document needs apiVersion and kind", where))
			continue
		}
		rule, ok := Kinds[kind]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: gennaker does not deploy %s objects with a server group: a set holds %s; apply other objects with your own tooling", where, kind, KindNames))
		case apiVersion != rule.APIVersion:
			errs = append(errs, fmt.Errorf("%s: use apiVersion %s for %s, found %q", where, rule.APIVersion, kind, apiVersion))
		case name == "":
			errs = append(errs, fmt.Errorf("%s: metadata.name is empty", where))
		case seen[kind+"/"+name]:
			errs = append(errs, fmt.Errorf("%s: %s %s is in the set twice", where, kind, name))
		}
		seen[kind+"/"+name] = true
	}
	if deployments != 1 {
		var found []string
		for _, o := range objs {
			kind, _ := o["kind"].(string)
			found = append(found, fmt.Sprintf("kind %s %q", kind, metaName(o)))
		}
		if len(found) == 0 {
			found = []string{"nothing"}
		}
		errs = append(errs, fmt.Errorf("%s: holds %d Deployments (found %s): a manifest set has exactly one apps/v1 Deployment, the server group's workload (give other workloads applications of their own)", source, deployments, strings.Join(found, ", ")))
	}
	return errors.Join(errs...)
}

// metaName is an object's metadata.name, or "".
func metaName(o map[string]any) string {
	meta, _ := o["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	return name
}
