package kubernetes

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/gennaker/gennaker/internal/model"
)

func kubeSecret(name, key string) model.StringOrSecret {
	return model.FromSecret(model.SecretRef{Kubernetes: &model.KubernetesSecretRef{Name: name, Key: key}})
}

func envByName(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

func wantSecretKeyRef(t *testing.T, env map[string]corev1.EnvVar, name, secret, key string) {
	t.Helper()
	e, ok := env[name]
	switch {
	case !ok:
		t.Errorf("env %s is missing", name)
	case e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil:
		t.Errorf("env %s = %+v, want valueFrom.secretKeyRef and no value", name, e)
	case e.ValueFrom.SecretKeyRef.Name != secret || e.ValueFrom.SecretKeyRef.Key != key:
		t.Errorf("env %s reads Secret %s key %s, want %s key %s", name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key, secret, key)
	}
}

func TestRunEnvKubernetesSecretsBecomeSecretKeyRefs(t *testing.T) {
	t.Parallel()
	app := testApp()
	app.Run.Env["API_KEY"] = kubeSecret("checkout-secrets", "api-key")
	app.Run.Env["DB_PASSWORD"] = kubeSecret("checkout-db", "password")
	sg := testGroup(3, "1.4.2", 1)
	sg.Env = map[string]string{"DB_PASSWORD": "from-the-deploy"} // the deploy's env wins, as for inline values
	obj, err := BuildDeployment("shop", sg, app)
	if err != nil {
		t.Fatal(err)
	}
	env := envByName(typed(t, obj).Spec.Template.Spec.Containers[0])
	wantSecretKeyRef(t, env, "API_KEY", "checkout-secrets", "api-key")
	if e := env["DB_PASSWORD"]; e.Value != "from-the-deploy" || e.ValueFrom != nil {
		t.Errorf("DB_PASSWORD = %+v, want the deploy's value over run.env", e)
	}
	if e := env["GREETING"]; e.Value != "hi from checkout 1.4.2" {
		t.Errorf("GREETING = %+v, want the inline value expanded", e)
	}
}

func TestTemplateGetsRunEnvAndItsSecretKeyRefs(t *testing.T) {
	t.Parallel()
	app := testApp()
	app.Manifest = "deploy/checkout.yaml.tmpl"
	app.ManifestTemplate = `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  template:
    spec:
      containers:
      - name: app
        image: "{{image}}"
        env: [{name: API_KEY, value: placeholder}, {name: OWN, value: kept}]
      - name: sidecar
        image: proxy:1
`
	app.Run.Env["API_KEY"] = kubeSecret("checkout-secrets", "api-key")
	sg := testGroup(2, "2.0.0", 2)
	sg.Env = map[string]string{"FEATURE_X": "on"}
	obj, err := BuildDeployment("shop", sg, app)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range typed(t, obj).Spec.Template.Spec.Containers {
		env := envByName(c)
		wantSecretKeyRef(t, env, "API_KEY", "checkout-secrets", "api-key")
		if env["GREETING"].Value != "hi from checkout 2.0.0" || env["FEATURE_X"].Value != "on" {
			t.Errorf("container %s env %v: want run.env and the deploy's env", c.Name, c.Env)
		}
		if n := strings.Count(strings.Join(names(c.Env), ","), "API_KEY"); n != 1 {
			t.Errorf("container %s has API_KEY %d times, want the template's replaced", c.Name, n)
		}
	}
	if own := envByName(typed(t, obj).Spec.Template.Spec.Containers[0])["OWN"]; own.Value != "kept" {
		t.Errorf("the template's own variable OWN = %+v, want it kept", own)
	}
}

func names(env []corev1.EnvVar) []string {
	var out []string
	for _, e := range env {
		out = append(out, e.Name)
	}
	return out
}

func TestServerSecretsAreRefusedOnKubernetes(t *testing.T) {
	t.Parallel()
	for _, manifest := range []bool{false, true} {
		app := testApp()
		if manifest {
			app.ManifestTemplate = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: a, image: b}]}}}\n"
		}
		app.Run.Env["DB_PASSWORD"] = model.FromSecret(model.SecretRef{Env: "CHECKOUT_DB_PASSWORD"})
		app.Run.Env["TLS_KEY"] = model.FromSecret(model.SecretRef{File: "/etc/gennaker/tls.key"})
		_, err := BuildDeployment("shop", testGroup(1, "1", 1), app)
		if !errors.Is(err, ErrServerSecret) {
			t.Fatalf("manifest %v: err = %v, want ErrServerSecret", manifest, err)
		}
		for _, want := range []string{
			"run.env.DB_PASSWORD reads env CHECKOUT_DB_PASSWORD on the gennaker server",
			"run.env.TLS_KEY reads file /etc/gennaker/tls.key",
			"would copy the secret into the Deployment's spec, readable by anyone who can read Deployments",
			"put it in a Secret in namespace shop and use {secretRef: {kubernetes: {name, key}}}",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("manifest %v: error %q does not say %q", manifest, err, want)
			}
		}
	}
}

// The Deployment the API server stores reads the Secret itself.
func TestEnsureAppliesSecretKeyRefs(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	app := testApp()
	app.Run.Env["API_KEY"] = kubeSecret("checkout-secrets", "api-key")
	sg := testGroup(1, "1.0.0", 1)
	if err := f.p.Ensure(t.Context(), sg, app); err != nil {
		t.Fatal(err)
	}
	d := f.deployment(t, sg.Name)
	wantSecretKeyRef(t, envByName(d.Spec.Template.Spec.Containers[0]), "API_KEY", "checkout-secrets", "api-key")
}
