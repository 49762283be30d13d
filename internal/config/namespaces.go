package config

import (
	"cmp"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

// targetKey names where a Kubernetes environment deploys: the same
// kubeconfig, context and namespace is the same place.
type targetKey struct{ kubeconfig, context, namespace string }

func keyOf(t model.TargetSpec) (targetKey, bool) {
	if t.Kind != model.TargetKubernetes {
		return targetKey{}, false
	}
	k := targetKey{t.Kubeconfig, t.Context, t.Namespace}
	if k.kubeconfig == "in-cluster" {
		k.kubeconfig = ""
	}
	return k, true
}

// checkNamespaceClashes reports two Kubernetes environments deploying to
// one namespace of one cluster: they would take over each other's server
// groups and stable Service. Environments already stored count too.
func checkNamespaceClashes(docs []Document, existing model.Config) []Error {
	var errs []Error
	seen := map[targetKey]string{} // -> environment name
	defined := map[string]bool{}
	for i := range docs {
		if d := &docs[i]; d.Environment != nil {
			defined[d.Environment.Name] = true
		}
	}
	stored := slices.Clone(existing.Environments)
	slices.SortFunc(stored, func(a, b model.Environment) int { return cmp.Compare(a.Name, b.Name) })
	for _, e := range stored {
		if k, ok := keyOf(e.Target); ok && !defined[e.Name] {
			seen[k] = e.Name
		}
	}
	for i := range docs {
		d := &docs[i]
		if d.Environment == nil {
			continue
		}
		k, ok := keyOf(d.Environment.Target)
		if !ok {
			continue
		}
		if other, ok := seen[k]; ok && other != d.Environment.Name {
			ns := k.namespace
			if ns == "" {
				ns = "the context's default namespace"
			}
			errs = append(errs, d.errorf("spec.target.namespace",
				"environment %s deploys to %s, as environment %s does (same kubeconfig and context): two environments in one namespace would take over each other's server groups and Service; give each environment its own namespace",
				d.Environment.Name, ns, other))
			continue
		}
		seen[k] = d.Environment.Name
	}
	return errs
}
