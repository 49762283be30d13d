package model

import (
	"errors"
	"strings"
	"testing"
)

func TestDeployEnvHazard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		hazard bool
	}{
		{"LD_PRELOAD", true},
		{"ld_preload", true}, // compared in any case
		{"LD_LIBRARY_PATH", true},
		{"DYLD_INSERT_LIBRARIES", true},
		{"GLIBC_TUNABLES", true},
		{"GCONV_PATH", true},
		{"JAVA_TOOL_OPTIONS", true},
		{"_JAVA_OPTIONS", true},
		{"JDK_JAVA_OPTIONS", true},
		{"NODE_OPTIONS", true},
		{"npm_config_script_shell", true},
		{"PYTHONPATH", true},
		{"PYTHONSTARTUP", true},
		{"PYTHONWARNINGS", true},
		{"PERL5OPT", true},
		{"PERL5LIB", true},
		{"PERLLIB", true},
		{"RUBYOPT", true},
		{"RUBYLIB", true},
		{"BASH_ENV", true},
		{"ENV", true},
		{"SHELLOPTS", true},
		{"PS4", true},
		{"BROWSER", true},
		{"PATH", true},
		{"HOME", true},
		{"IFS", true},
		{"GIT_SSH_COMMAND", true},
		{"GIT_CONFIG_KEY_0", true},
		{"OPENSSL_CONF", true},
		{"HTTPS_PROXY", true},
		{"https_proxy", true},
		// What deploys are for: per-version settings.
		{"LOG_LEVEL", false},
		{"SAMPLE_LATENCY", false},
		{"NODE_ENV", false},
		{"RAILS_ENV", false},
		{"GIT_SHA", false},
		{"GOMAXPROCS", false},
		{"ENVIRONMENT", false},
		{"FEATURE_FLAGS", false},
	} {
		if got := DeployEnvHazard(tc.name) != ""; got != tc.hazard {
			t.Errorf("DeployEnvHazard(%q) = %q, want a hazard: %v", tc.name, DeployEnvHazard(tc.name), tc.hazard)
		}
	}
}

func TestCheckDeployEnv(t *testing.T) {
	t.Parallel()
	app := Application{Name: "checkout", DeployEnv: []string{"LOG_LEVEL", "FEATURE_X"}}
	for _, tc := range []struct {
		name string
		app  Application
		env  map[string]string
		want []string // substrings of the error; none: allowed
	}{
		{name: "nothing set", app: Application{Name: "checkout"}},
		{name: "listed names", app: app, env: map[string]string{"LOG_LEVEL": "debug", "FEATURE_X": "on"}},
		{name: "an application that lists none refuses every name", app: Application{Name: "checkout"}, env: map[string]string{"LOG_LEVEL": "debug"},
			want: []string{"a deploy of checkout may not set LOG_LEVEL", "lets a deploy set none", "add LOG_LEVEL to spec.deployEnv of Application checkout"}},
		{name: "an unlisted name is named", app: app, env: map[string]string{"LOG_LEVEL": "debug", "DEBUG_ADDR": ":6060"},
			want: []string{"may not set DEBUG_ADDR:", "lets a deploy set only LOG_LEVEL, FEATURE_X", "add DEBUG_ADDR to spec.deployEnv of Application checkout"}},
		{name: "several unlisted names", app: app, env: map[string]string{"B": "1", "A": "2"},
			want: []string{"may not set A, B:", "add them to spec.deployEnv"}},
		{name: "a loader hook is refused with why", app: app, env: map[string]string{"LD_PRELOAD": "/tmp/x.so"},
			want: []string{"a deploy may never set LD_PRELOAD (the dynamic loader"}},
		{name: "a hook is refused even when a stored application lists it", app: Application{Name: "checkout", DeployEnv: []string{"NODE_OPTIONS"}},
			env: map[string]string{"NODE_OPTIONS": "--require /tmp/x.js"}, want: []string{"never set NODE_OPTIONS (Node.js"}},
		{name: "a name that is no variable name is quoted", app: app, env: map[string]string{"A=B": "x"},
			want: []string{`may not set "A=B"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.app.CheckDeployEnv(tc.env)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrDeployEnvRefused) {
				t.Fatalf("err = %v, want ErrDeployEnvRefused", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestDeployEnvFromParams(t *testing.T) {
	t.Parallel()
	got := DeployEnvFromParams(map[string]string{"version": "v1", "env.LOG_LEVEL": "debug", "envelope": "x", "env.": "empty"})
	if len(got) != 2 || got["LOG_LEVEL"] != "debug" || got[""] != "empty" {
		t.Errorf("DeployEnvFromParams = %v, want LOG_LEVEL and the empty name (refused later as unlisted)", got)
	}
	if DeployEnvFromParams(map[string]string{"version": "v1"}) != nil {
		t.Error("no env.NAME parameter should give nil")
	}
}
