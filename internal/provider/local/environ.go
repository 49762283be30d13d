package local

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// baseEnvNames are the variables of the server's environment every
// instance gets, when the server has them: what a program needs to find
// commands, know its user and speak the locale. Nothing else is inherited
// (the server's environment holds its own secrets, and those of every
// application that reads them with {secretRef: {env: NAME}}), except what
// the operator passes with Config.PassEnv.
var baseEnvNames = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM"}

// localeEnvPrefix starts the names of the locale's categories (LC_TIME,
// LC_ALL, ...), inherited like baseEnvNames.
const localeEnvPrefix = "LC_"

// inheritedEnv returns the entries of environ ("NAME=value", as
// os.Environ gives them) that instances get: baseEnvNames, LC_* and the
// names in pass, in environ's order.
func inheritedEnv(environ, pass []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if slices.Contains(baseEnvNames, name) || slices.Contains(pass, name) || strings.HasPrefix(name, localeEnvPrefix) {
			out = append(out, kv)
		}
	}
	return out
}

// checkPassEnv refuses names that cannot be variables, and returns those
// the server's environment does not set (instances get nothing for them).
func checkPassEnv(environ, pass []string) (missing []string, err error) {
	set := map[string]bool{}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		set[name] = true
	}
	for _, name := range pass {
		if !model.ValidEnvName(name) {
			return nil, fmt.Errorf("local provider: pass-env %s", model.EnvNameProblem(name, "HTTPS_PROXY"))
		}
		if !set[name] {
			missing = append(missing, name)
		}
	}
	return missing, nil
}
