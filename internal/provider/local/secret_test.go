package local

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// environOf reads the environment a running process was started with.
func environOf(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok {
			out[k] = v
		}
	}
	return out
}

// everyFile returns the contents of every file under dir, by path.
func everyFile(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A secret in run.env reaches the instance, is read again when the
// supervisor restarts it, and is never written to the provider's files.
func TestRunEnvSecretsAreResolvedAtEachStartAndNeverStored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile := filepath.Join(t.TempDir(), "api-token")
	if err := os.WriteFile(tokenFile, []byte("file-secret-one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := newTestProvider(t, dir)
	p.cfg.Secrets = &secret.Resolver{LookupEnv: func(name string) (string, bool) {
		return "env-secret-value", name == "CHECKOUT_DB_PASSWORD"
	}}
	spec := sampleSpec(t, "checkout-v101", "v1", 1, nil)
	spec.Run.Env["DB_PASSWORD"] = model.FromSecret(model.SecretRef{Env: "CHECKOUT_DB_PASSWORD"})
	spec.Run.Env["API_TOKEN"] = model.FromSecret(model.SecretRef{File: tokenFile})
	ensureHealthy(t, p, spec)

	first := pids(t, p, spec.Ref())[0]
	env := environOf(t, first)
	if env["DB_PASSWORD"] != "env-secret-value" || env["API_TOKEN"] != "file-secret-one" {
		t.Fatalf("instance env DB_PASSWORD=%q API_TOKEN=%q, want the resolved secrets", env["DB_PASSWORD"], env["API_TOKEN"])
	}

	// The supervisor restarts a killed instance and reads the secrets again.
	if err := os.WriteFile(tokenFile, []byte("file-secret-two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "killed instance came back healthy", func() bool {
		h, _ := p.Health(t.Context(), spec.Ref())
		return h.Instances[0].Healthy && h.Instances[0].PID != first
	})
	if got := environOf(t, pids(t, p, spec.Ref())[0])["API_TOKEN"]; got != "file-secret-two" {
		t.Errorf("restarted instance API_TOKEN=%q, want the file's new content", got)
	}

	files := everyFile(t, dir)
	state := files[filepath.Join(dir, stateFileName)]
	if !strings.Contains(state, `"secretRef"`) || !strings.Contains(state, "CHECKOUT_DB_PASSWORD") {
		t.Errorf("the state file does not keep the references:\n%s", state)
	}
	for path, content := range files {
		for _, v := range []string{"env-secret-value", "file-secret-one", "file-secret-two"} {
			if strings.Contains(content, v) {
				t.Errorf("%s holds the secret value %q", path, v)
			}
		}
	}
}

func TestUnresolvableSecretFailsTheStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := newTestProvider(t, dir)
	p.cfg.Secrets = &secret.Resolver{LookupEnv: func(string) (string, bool) { return "", false }}
	spec := sampleSpec(t, "checkout-v102", "v1", 2, nil)
	spec.Run.Env["DB_PASSWORD"] = model.FromSecret(model.SecretRef{Env: "CHECKOUT_DB_PASSWORD"})
	err := p.EnsureServerGroup(t.Context(), spec)
	if err == nil || !strings.Contains(err.Error(), "run.env.DB_PASSWORD: environment variable CHECKOUT_DB_PASSWORD is not set in the gennaker server's environment") {
		t.Fatalf("err = %v, want the resolver's error naming run.env.DB_PASSWORD", err)
	}
	if n := strings.Count(err.Error(), "CHECKOUT_DB_PASSWORD is not set"); n != 1 {
		t.Errorf("the error says it %d times, want once:\n%v", n, err)
	}
	if h, err := p.Health(t.Context(), spec.Ref()); err != nil || len(h.Instances) != 0 {
		t.Errorf("Health = %+v, %v: nothing should have started without its secret", h, err)
	}
}

func TestKubernetesSecretIsRefusedOnALocalTarget(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	spec := sampleSpec(t, "checkout-v103", "v1", 1, nil)
	spec.Run.Env["API_KEY"] = model.FromSecret(model.SecretRef{Kubernetes: &model.KubernetesSecretRef{Name: "checkout-secrets", Key: "api-key"}})
	err := p.EnsureServerGroup(t.Context(), spec)
	for _, want := range []string{"run.env.API_KEY reads kubernetes Secret checkout-secrets key api-key", "on the local environment test use {secretRef: {env: NAME}}"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to say %q", err, want)
		}
	}
}

// The state file and the instance logs are the server user's alone.
func TestStateAndLogsArePrivate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A logs directory an older gennaker made readable by everyone.
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := newTestProvider(t, dir)
	spec := sampleSpec(t, "checkout-v104", "v1", 1, nil)
	ensureHealthy(t, p, spec)
	for path, want := range map[string]os.FileMode{
		filepath.Join(dir, "logs"):                              0o700 | os.ModeDir,
		filepath.Join(dir, "logs", spec.Environment):            0o700 | os.ModeDir,
		filepath.Join(dir, "logs", spec.Environment, spec.Name): 0o700 | os.ModeDir,
		p.logPath(spec.Ref(), 0):                                0o600,
		filepath.Join(dir, stateFileName):                       0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
			t.Errorf("%s has mode %v, want %v", path, got, want)
		}
	}
}

// A server restarted without a secret still adopts the instances that run
// (they have theirs); only a new start needs it, and says so.
func TestAdoptionNeedsNoSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := newTestProvider(t, dir)
	first.cfg.Secrets = &secret.Resolver{LookupEnv: func(string) (string, bool) { return "env-secret-value", true }}
	spec := sampleSpec(t, "checkout-v105", "v1", 1, nil)
	spec.Run.Env["DB_PASSWORD"] = model.FromSecret(model.SecretRef{Env: "CHECKOUT_DB_PASSWORD"})
	ensureHealthy(t, first, spec)
	running := pids(t, first, spec.Ref())
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := newTestProvider(t, dir)
	second.cfg.Secrets = &secret.Resolver{LookupEnv: func(string) (string, bool) { return "", false }}
	if err := second.Reconcile(t.Context(), []ServerGroupSpec{spec}); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	h, _ := second.Health(t.Context(), spec.Ref())
	if len(h.Instances) != 1 || h.Instances[0].PID != running[0] || !h.Instances[0].Adopted {
		t.Fatalf("health %+v, want pid %d adopted", h, running[0])
	}
	err := second.Resize(t.Context(), spec.Ref(), 2)
	if err == nil || !strings.Contains(err.Error(), "server group checkout-v105 cannot start: run.env.DB_PASSWORD: environment variable CHECKOUT_DB_PASSWORD is not set") {
		t.Errorf("resize: %v, want the secret named", err)
	}
}

// A deploy that starts several instances reads each secret once for all of
// them, not once to check and again for every instance.
func TestSecretsAreReadOncePerStart(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	var lookups atomic.Int32
	p.cfg.Secrets = &secret.Resolver{LookupEnv: func(string) (string, bool) {
		lookups.Add(1)
		return "env-secret-value", true
	}}
	spec := sampleSpec(t, "checkout-v106", "v1", 3, nil)
	spec.Run.Env["DB_PASSWORD"] = model.FromSecret(model.SecretRef{Env: "CHECKOUT_DB_PASSWORD"})
	ensureHealthy(t, p, spec)
	if n := lookups.Load(); n != 1 {
		t.Errorf("starting 3 instances read the secret %d times, want once", n)
	}
	for _, pid := range pids(t, p, spec.Ref()) {
		if got := environOf(t, pid)["DB_PASSWORD"]; got != "env-secret-value" {
			t.Errorf("instance pid %d DB_PASSWORD=%q, want the resolved secret", pid, got)
		}
	}
}
