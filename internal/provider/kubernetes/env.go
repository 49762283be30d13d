package kubernetes

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/gennaker/gennaker/internal/model"
)

// containerEnv is the application's run.env with the deploy's env on top,
// sorted by name, plus VERSION and PORT like the local target sets.
func containerEnv(namespace string, sg model.ServerGroup, app model.Application, port int32) ([]corev1.EnvVar, error) {
	vars, err := runEnv(namespace, sg, app, port)
	if err != nil {
		return nil, err
	}
	r := placeholders(sg, app, port)
	for k, v := range sg.Env {
		vars[k] = corev1.EnvVar{Name: k, Value: r.Replace(v)}
	}
	if _, ok := vars["VERSION"]; !ok {
		vars["VERSION"] = corev1.EnvVar{Name: "VERSION", Value: sg.Version}
	}
	if _, ok := vars["PORT"]; !ok {
		vars["PORT"] = corev1.EnvVar{Name: "PORT", Value: strconv.Itoa(int(port))}
	}
	env := make([]corev1.EnvVar, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, vars[k])
	}
	return env, nil
}

func placeholders(sg model.ServerGroup, app model.Application, port int32) *strings.Replacer {
	return strings.NewReplacer("{{version}}", sg.Version, "{{app}}", app.Name, "{{port}}", strconv.Itoa(int(port)))
}

// runEnv turns run.env into container env vars: inline values with
// placeholders expanded, kubernetes secretRefs as valueFrom.secretKeyRef.
// A reference the gennaker server would read (env, file) is refused: its
// value would be copied into the Deployment's spec.
func runEnv(namespace string, sg model.ServerGroup, app model.Application, port int32) (map[string]corev1.EnvVar, error) {
	r := placeholders(sg, app, port)
	out := make(map[string]corev1.EnvVar, len(app.Run.Env))
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(app.Run.Env)) {
		v := app.Run.Env[k]
		switch {
		case !v.IsSecret():
			out[k] = corev1.EnvVar{Name: k, Value: r.Replace(v.Value)}
		case v.Secret.Kubernetes != nil:
			ks := v.Secret.Kubernetes
			out[k] = corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: ks.Name}, Key: ks.Key,
			}}}
		default:
			errs = append(errs, &ServerSecretError{Application: app.Name, Var: k, Ref: *v.Secret, Namespace: namespace})
		}
	}
	return out, errors.Join(errs...)
}

// injectEnv sets run.env and then the deploy's env on every container of a
// rendered template, over the template's own variables of the same names.
func injectEnv(obj map[string]any, namespace string, sg model.ServerGroup, app model.Application) error {
	vars, err := runEnv(namespace, sg, app, appPort(app))
	if err != nil {
		return err
	}
	for k, v := range sg.Env {
		vars[k] = corev1.EnvVar{Name: k, Value: v}
	}
	if len(vars) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(vars))
	containers, _, _ := nestedSlice(obj, "spec", "template", "spec", "containers")
	for _, c := range containers {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		env, _ := cm["env"].([]any)
		env = slices.DeleteFunc(env, func(e any) bool {
			m, _ := e.(map[string]any)
			name, _ := m["name"].(string)
			_, ours := vars[name]
			return ours
		})
		for _, k := range names {
			env = append(env, envVarObject(vars[k]))
		}
		cm["env"] = env
	}
	return nil
}

// envVarObject is an env var as the unstructured Deployment holds it.
func envVarObject(v corev1.EnvVar) map[string]any {
	if v.ValueFrom != nil && v.ValueFrom.SecretKeyRef != nil {
		ref := v.ValueFrom.SecretKeyRef
		return map[string]any{"name": v.Name, "valueFrom": map[string]any{
			"secretKeyRef": map[string]any{"name": ref.Name, "key": ref.Key},
		}}
	}
	return map[string]any{"name": v.Name, "value": v.Value}
}
