package local

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// Defaults applied to a HealthCheck's zero fields.
const (
	defaultHealthPath     = "/healthz"
	defaultHealthInterval = 2 * time.Second // as config fills in
	defaultHealthTimeout  = time.Second
	defaultStartupTimeout = 60 * time.Second
)

// GroupRef names one server group on the local target. Server-group
// numbers count per environment, so checkout-v001 can run in staging and
// in prod at once: a name alone is not enough.
type GroupRef struct {
	Environment string
	Name        string
}

func (r GroupRef) String() string { return r.Environment + "/" + r.Name }

// Ref is the spec's server group.
func (s ServerGroupSpec) Ref() GroupRef { return GroupRef{Environment: s.Environment, Name: s.Name} }

// ServerGroupSpec is what the provider needs to run one server group.
type ServerGroupSpec struct {
	Name        string            `json:"name"`
	Application string            `json:"application"`
	Environment string            `json:"environment"`
	Version     string            `json:"version"`
	Instances   int               `json:"instances"`
	Run         model.RunSpec     `json:"run"`
	Env         map[string]string `json:"env,omitempty"`
	HealthCheck model.HealthCheck `json:"healthCheck"`
}

func (s ServerGroupSpec) validate() error {
	switch {
	case !dirName(s.Name):
		return fmt.Errorf("server group name %q is not usable as a directory name: use letters, digits and dashes, such as checkout-v003", s.Name)
	case !dirName(s.Environment):
		return fmt.Errorf("server group %s: environment %q is not usable as a directory name: use letters, digits and dashes, such as staging", s.Name, s.Environment)
	case s.Instances < 0:
		return fmt.Errorf("server group %s: instances is %d: give zero or more", s.Name, s.Instances)
	case s.Run.Command == "":
		return fmt.Errorf("server group %s: run.command is empty: set the application's run.command to the program that starts one instance", s.Name)
	}
	return nil
}

// dirName is true for a name that is one directory under logs/.
func dirName(s string) bool {
	return s != "" && !strings.ContainsAny(s, `/\`) && s != "." && s != ".."
}

func (s ServerGroupSpec) healthPath() string {
	if s.HealthCheck.Path == "" {
		return defaultHealthPath
	}
	if !strings.HasPrefix(s.HealthCheck.Path, "/") {
		return "/" + s.HealthCheck.Path
	}
	return s.HealthCheck.Path
}

func (s ServerGroupSpec) interval() time.Duration {
	return orDefault(s.HealthCheck.Interval.D(), defaultHealthInterval)
}

func (s ServerGroupSpec) timeout() time.Duration {
	return orDefault(s.HealthCheck.Timeout.D(), defaultHealthTimeout)
}

func (s ServerGroupSpec) startupTimeout() time.Duration {
	return orDefault(s.HealthCheck.StartupTimeout.D(), defaultStartupTimeout)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// command returns the program, arguments and environment of one instance,
// with {{version}}, {{port}}, {{instance}} and {{app}} expanded. The
// environment is inherit (what the instance gets of the server's, see
// Config.PassEnv), then Run.Env, then the spec's Env, then PORT, VERSION and
// INSTANCE, which always win because health checks and the front door rely
// on PORT. secrets holds the values of Run.Env's secretRefs, read by
// resolveSecrets for this start; they are used as read (no placeholders)
// and never stored.
func (s ServerGroupSpec) command(inherit []string, secrets map[string]string, index, port int) (name string, args, env []string, err error) {
	// {{version}} is substituted as it is: only a safe token may be. A
	// group recorded before versions were checked keeps the instances that
	// run (they are adopted), but starts no new one.
	if err := model.CheckVersion(s.Version); err != nil {
		return "", nil, nil, fmt.Errorf("server group %s: %w", s.Name, err)
	}
	r := strings.NewReplacer("{{version}}", s.Version, "{{port}}", strconv.Itoa(port),
		"{{instance}}", strconv.Itoa(index), "{{app}}", s.Application)
	name = r.Replace(s.Run.Command)
	for _, a := range s.Run.Args {
		args = append(args, r.Replace(a))
	}
	env = slices.Clone(inherit)
	for _, k := range slices.Sorted(maps.Keys(s.Run.Env)) {
		v := s.Run.Env[k]
		if !v.IsSecret() {
			env = append(env, k+"="+r.Replace(v.Value))
			continue
		}
		val, ok := secrets[k]
		if !ok {
			return "", nil, nil, fmt.Errorf("server group %s: run.env.%s: its secret was not read before the start", s.Name, k)
		}
		env = append(env, k+"="+val)
	}
	for k, v := range s.Env {
		env = append(env, k+"="+r.Replace(v))
	}
	env = append(env, "PORT="+strconv.Itoa(port), "VERSION="+s.Version, "INSTANCE="+strconv.Itoa(index))
	return name, args, env, nil
}

// resolveSecrets reads the secretRefs of Run.Env, by variable name: once
// per start of some instances, so each start reads the current values. A
// kubernetes Secret is refused (pods read those, and there are none here).
// Its error names every reference that could not be read.
func (s ServerGroupSpec) resolveSecrets(ctx context.Context, resolver *secret.Resolver) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(s.Run.Env)) {
		ref := s.Run.Env[k].Secret
		switch {
		case ref == nil:
		case ref.Kubernetes != nil:
			errs = append(errs, fmt.Errorf("run.env.%s reads %s, which only the pods of a kubernetes environment can read: on the local environment %s use {secretRef: {env: NAME}} or {secretRef: {file: /path}}, read by the gennaker server",
				k, ref, s.Environment))
		default:
			v, err := resolver.Resolve(ctx, *ref)
			if err != nil {
				errs = append(errs, fmt.Errorf("run.env.%s: %w", k, err))
				continue
			}
			out[k] = v
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("server group %s cannot start: %w", s.Name, err)
	}
	return out, nil
}
