package model

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A deploy may give the instances of its version environment variables
// (`gennaker deploy --set-env NAME=VALUE`, the run parameter env.NAME), but
// only those its application lists in Application.DeployEnv. A deployer is
// not an admin: a variable such as LD_PRELOAD or NODE_OPTIONS would run
// their code as the user the instances run as (on a local target, the
// gennaker server's). Config refuses to list such names (DeployEnvHazard).

// ErrDeployEnvRefused marks a deploy that sets a variable its application
// does not let a deploy set.
var ErrDeployEnvRefused = errors.New("environment variable not allowed for a deploy")

// DeployEnvParam is the prefix of the run parameters that set a variable of
// the deployed version's instances: env.NAME.
const DeployEnvParam = "env."

// DeployEnvFromParams returns the variables a run's env.NAME parameters set.
func DeployEnvFromParams(params map[string]string) map[string]string {
	var out map[string]string
	for k, v := range params {
		if name, ok := strings.CutPrefix(k, DeployEnvParam); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = v
		}
	}
	return out
}

// CheckDeployEnv refuses variables a deploy of a may not set: names the
// application does not list in deployEnv, and (should a stored application
// predate the rule) names that are loader or interpreter hooks. The error
// names every such variable and the fix, and wraps ErrDeployEnvRefused.
func (a Application) CheckDeployEnv(env map[string]string) error {
	var unlisted, hazards []string
	for _, name := range slices.Sorted(maps.Keys(env)) {
		shown := name
		if !ValidEnvName(name) {
			shown = strconv.Quote(name)
		}
		switch why := DeployEnvHazard(name); {
		case why != "":
			hazards = append(hazards, shown+" ("+why+")")
		case !slices.Contains(a.DeployEnv, name):
			unlisted = append(unlisted, shown)
		}
	}
	var msgs []string
	if len(unlisted) > 0 {
		msgs = append(msgs, fmt.Sprintf("a deploy of %s may not set %s: the application lets a deploy set %s; an admin can add %s to spec.deployEnv of Application %s, or set a value every version gets in its run.env",
			a.Name, strings.Join(unlisted, ", "), listedDeployEnv(a.DeployEnv), themOrIt(unlisted), a.Name))
	}
	if len(hazards) > 0 {
		msgs = append(msgs, fmt.Sprintf("a deploy may never set %s: set it in run.env of Application %s if every version needs it", strings.Join(hazards, "; "), a.Name))
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrDeployEnvRefused, strings.Join(msgs, "; "))
}

func listedDeployEnv(names []string) string {
	if len(names) == 0 {
		return "none (spec.deployEnv is empty)"
	}
	return "only " + strings.Join(names, ", ")
}

func themOrIt(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return "them"
}

// EnvNamePattern is what an environment variable's name may be: letters,
// digits and '_', not starting with a digit.
const EnvNamePattern = `^[A-Za-z_][A-Za-z0-9_]*$`

var envVarName = regexp.MustCompile(EnvNamePattern)

// ValidEnvName reports whether name can be an environment variable's name
// (EnvNamePattern).
func ValidEnvName(name string) bool { return envVarName.MatchString(name) }

// EnvNameProblem says why name cannot be an environment variable's name and
// what one looks like (example, such as LOG_LEVEL), or "" when it can.
func EnvNameProblem(name, example string) string {
	if ValidEnvName(name) {
		return ""
	}
	return fmt.Sprintf("%q is not an environment variable name: use letters, digits and '_', not starting with a digit, such as %s", name, example)
}

// envHazard is a family of variable names a deploy may not set, and why.
type envHazard struct {
	names    []string // exact names
	prefixes []string // or names starting with one of these
	why      string
}

// envHazards are variables through which whoever sets them runs code (or
// reroutes the instance's traffic), whatever the application is written in.
// Names are compared in upper case.
var envHazards = []envHazard{
	{prefixes: []string{"LD_"}, names: []string{"GLIBC_TUNABLES", "GCONV_PATH", "LOCPATH"},
		why: "the dynamic loader and the C library read it: LD_PRELOAD loads any library into the instance"},
	{prefixes: []string{"DYLD_"}, why: "the macOS loader reads it: DYLD_INSERT_LIBRARIES loads any library into the instance"},
	{names: []string{"JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "JAVA_OPTIONS", "JAVA_OPTS", "CLASSPATH"},
		why: "the JVM (or its start script) reads it as options or a class path: -javaagent runs any code"},
	{names: []string{"NODE_OPTIONS", "NODE_PATH", "NODE_REPL_EXTERNAL_MODULE"}, prefixes: []string{"NPM_CONFIG_"},
		why: "Node.js or npm reads it as options or a module path: --require runs any code"},
	{prefixes: []string{"PYTHON"}, why: "Python reads it at start: PYTHONSTARTUP, PYTHONPATH and PYTHONWARNINGS can load and run any code"},
	{prefixes: []string{"PERL"}, why: "Perl reads it as options or a library path: PERL5OPT=-M loads any module"},
	{prefixes: []string{"RUBY"}, why: "Ruby reads it as options or a library path: RUBYOPT=-r loads any file"},
	{names: []string{"PHPRC", "PHP_INI_SCAN_DIR"}, why: "PHP reads its configuration from there: auto_prepend_file runs any file"},
	{prefixes: []string{"LUA_"}, why: "Lua runs the code in LUA_INIT at start and loads modules from LUA_PATH"},
	{names: []string{"ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS"}, why: "the Erlang VM reads it as command-line flags: -eval runs any code"},
	{names: []string{"DOTNET_STARTUP_HOOKS", "DOTNET_ADDITIONAL_DEPS"}, prefixes: []string{"CORECLR_", "COR_"},
		why: ".NET loads the assemblies or profilers it names"},
	{names: []string{"GOFLAGS", "GOENV", "GOTOOLCHAIN"}, why: "the go command reads it: -toolexec runs any program, GOTOOLCHAIN downloads one"},
	{names: []string{"BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "IFS", "CDPATH", "ZDOTDIR", "SHELL"}, prefixes: []string{"BASH_FUNC_"},
		why: "shells read it at start or run it: BASH_ENV names a script every non-interactive bash runs"},
	{names: []string{"BROWSER", "EDITOR", "VISUAL", "PAGER", "SSH_ASKPASS"},
		why: "programs run the command it names: Python's webbrowser module runs $BROWSER"},
	{names: []string{"GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_EXEC_PATH", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PAGER",
		"GIT_EXTERNAL_DIFF", "GIT_PROXY_COMMAND", "GIT_TEMPLATE_DIR", "GIT_DIR", "GIT_WORK_TREE"}, prefixes: []string{"GIT_CONFIG", "GIT_TRACE"},
		why: "git runs the command it names or reads configuration from it: GIT_SSH_COMMAND, or core.hooksPath through GIT_CONFIG_*"},
	{names: []string{"PATH", "HOME", "XDG_CONFIG_HOME"}, why: "it decides which program a bare command name runs, or where programs read their start-up files"},
	{prefixes: []string{"OPENSSL_"}, why: "OpenSSL loads the configuration, engines and providers it names"},
	{names: []string{"SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"},
		why: "it replaces the certificates TLS trusts, so the instance's connections could be intercepted"},
	{names: []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"},
		why: "it sends the instance's outgoing requests, with their credentials, through a proxy the deployer picks"},
}

// InstanceEnv are the variables gennaker sets for every instance; their
// values win over run.env and a deploy's.
var InstanceEnv = []string{"PORT", "VERSION", "INSTANCE"}

// DeployEnvHazard says why a deploy may not set the variable name, or ""
// when it may (if its application lists it). Names are compared in any case.
func DeployEnvHazard(name string) string {
	upper := strings.ToUpper(name)
	for _, h := range envHazards {
		if slices.Contains(h.names, upper) {
			return h.why
		}
		for _, p := range h.prefixes {
			if strings.HasPrefix(upper, p) {
				return h.why
			}
		}
	}
	return ""
}
