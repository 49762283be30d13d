package local

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestInheritedEnv(t *testing.T) {
	t.Parallel()
	environ := []string{
		"PATH=/usr/bin:/bin", "HOME=/home/gennaker", "USER=gennaker", "LANG=C.UTF-8", "LC_TIME=en_GB.UTF-8", "TZ=UTC", "TMPDIR=/tmp",
		"GENNAKER_OIDC_CLIENT_SECRET=oidc-secret", "STRIPE_API_KEY=sk_live_1", "AWS_SECRET_ACCESS_KEY=aws", "LD_PRELOAD=/x.so",
		"HTTPS_PROXY=http://proxy:3128", "LCX=not-a-locale", "NOEQUALS",
	}
	got := inheritedEnv(environ, []string{"HTTPS_PROXY", "UNSET"})
	want := []string{"PATH=/usr/bin:/bin", "HOME=/home/gennaker", "USER=gennaker", "LANG=C.UTF-8", "LC_TIME=en_GB.UTF-8", "TZ=UTC", "TMPDIR=/tmp", "HTTPS_PROXY=http://proxy:3128"}
	if !slices.Equal(got, want) {
		t.Errorf("inheritedEnv =\n%v\nwant\n%v", got, want)
	}
}

func TestCheckPassEnv(t *testing.T) {
	t.Parallel()
	missing, err := checkPassEnv([]string{"HTTPS_PROXY=x"}, []string{"HTTPS_PROXY", "NO_PROXY"})
	if err != nil || !slices.Equal(missing, []string{"NO_PROXY"}) {
		t.Errorf("checkPassEnv = %v, %v; want NO_PROXY missing", missing, err)
	}
	if _, err := checkPassEnv(nil, []string{"A=B"}); err == nil || !strings.Contains(err.Error(), `pass-env "A=B" is not an environment variable name`) {
		t.Errorf("checkPassEnv(A=B) = %v, want refused", err)
	}
}

// A real instance sees none of the server's variables but the base set,
// what the operator passes, run.env, the deploy's env and gennaker's own.
// (Not parallel: it sets the test process's environment, which the
// provider reads as the server's.)
func TestInstanceEnvironmentIsMinimal(t *testing.T) {
	t.Setenv("GENNAKER_TEST_SERVER_SECRET", "the-servers-own-secret")
	t.Setenv("STRIPE_API_KEY", "sk_live_another_apps")
	t.Setenv("GENNAKER_TEST_PASSED", "passed-on")
	t.Setenv("LC_TIME", "C")
	p := newTestProviderWith(t, Config{PassEnv: []string{"GENNAKER_TEST_PASSED"}})
	spec := sampleSpec(t, "checkout-v001", "v1", 1, map[string]string{"LOG_LEVEL": "debug"})
	ensureHealthy(t, p, spec)

	env := environOf(t, pids(t, p, spec.Ref())[0])
	for _, name := range []string{"GENNAKER_TEST_SERVER_SECRET", "STRIPE_API_KEY"} {
		if v, ok := env[name]; ok {
			t.Errorf("the instance got the server's %s=%q", name, v)
		}
	}
	for name, want := range map[string]string{
		"GENNAKER_TEST_PASSED": "passed-on", "PATH": os.Getenv("PATH"), "LC_TIME": "C",
		"GENNAKER_TEST_SAMPLE": "1", "LOG_LEVEL": "debug", "VERSION": "v1", "INSTANCE": "0",
	} {
		if env[name] != want {
			t.Errorf("instance %s=%q, want %q", name, env[name], want)
		}
	}
	if env["PORT"] == "" {
		t.Error("the instance got no PORT")
	}
	for name := range env {
		if !slices.Contains([]string{"GENNAKER_TEST_PASSED", "GENNAKER_TEST_SAMPLE", "LOG_LEVEL", "PORT", "VERSION", "INSTANCE", markerVar}, name) &&
			!slices.Contains(baseEnvNames, name) && !strings.HasPrefix(name, localeEnvPrefix) {
			t.Errorf("the instance got %s, which nothing gave it", name)
		}
	}
}
