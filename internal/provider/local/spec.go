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
	case s.Name == "" || strings.ContainsAny(s.Name, `/\`) || s.Name == "." || s.Name == "..":
		return fmt.Errorf("server group name %q is not usable as a directory name: use letters, digits and dashes, such as checkout-v003", s.Name)
	case s.Instances < 0:
		return fmt.Errorf("server group %s: instances is %d: give zero or more", s.Name, s.Instances)
	case s.Run.Command == "":
		return fmt.Errorf("server group %s: run.command is empty: set the application's run.command to the program that starts one instance", s.Name)
	}
	return nil
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
// on PORT. Secrets in Run.Env are read now, at every start, and used as read
// (no placeholders); they are never stored.
func (s ServerGroupSpec) command(ctx context.Context, secrets *secret.Resolver, inherit []string, index, port int) (name string, args, env []string, err error) {
	// {{version}} is substituted as it is: only a safe token may be. A
	// group recorded before versions were checked keeps the instances that
	// run (they are adopted), but starts no new one.
	if err := model.CheckVersion(s.Version); err != nil {
		return "", nil, nil, fmt.Errorf("server group %s: %w", s.Name, err)
	}
	r := strings.NewReplacer("{{version}}", s.Version, "{{port}}", strconv.Itoa(port),
		"{{instance}}", strconv.Itoa(index), "{{app}}", s.Application)
	runEnv, err := s.runEnv(ctx, secrets, r)
	if err != nil {
		return "", nil, nil, err
	}
	name = r.Replace(s.Run.Command)
	for _, a := range s.Run.Args {
		args = append(args, r.Replace(a))
	}
	env = slices.Clone(inherit)
	for _, k := range slices.Sorted(maps.Keys(runEnv)) {
		env = append(env, k+"="+runEnv[k])
	}
	for k, v := range s.Env {
		env = append(env, k+"="+r.Replace(v))
	}
	env = append(env, "PORT="+strconv.Itoa(port), "VERSION="+s.Version, "INSTANCE="+strconv.Itoa(index))
	return name, args, env, nil
}

// runEnv is Run.Env with placeholders replaced in inline values and
// secrets resolved. Its error names every secret that could not be read.
func (s ServerGroupSpec) runEnv(ctx context.Context, secrets *secret.Resolver, r *strings.Replacer) (map[string]string, error) {
	out := make(map[string]string, len(s.Run.Env))
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(s.Run.Env)) {
		v := s.Run.Env[k]
		if !v.IsSecret() {
			out[k] = r.Replace(v.Value)
			continue
		}
		val, err := secrets.Value(ctx, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("run.env.%s: %w", k, err))
			continue
		}
		out[k] = val
	}
	return out, errors.Join(errs...)
}

// checkSecrets refuses references a local target cannot use (a kubernetes
// Secret is read by pods, and there are none here) and reads the others
// once, so a deploy fails with one clear error before anything starts.
// Each instance reads them again as it starts.
func (s ServerGroupSpec) checkSecrets(ctx context.Context, secrets *secret.Resolver) error {
	for _, k := range slices.Sorted(maps.Keys(s.Run.Env)) {
		if ref := s.Run.Env[k].Secret; ref != nil && ref.Kubernetes != nil {
			return fmt.Errorf("server group %s: run.env.%s reads %s, which only the pods of a kubernetes environment can read: on the local environment %s use {secretRef: {env: NAME}} or {secretRef: {file: /path}}, read by the gennaker server",
				s.Name, k, ref, s.Environment)
		}
	}
	if _, err := s.runEnv(ctx, secrets, strings.NewReplacer()); err != nil {
		return fmt.Errorf("server group %s cannot start: %w", s.Name, err)
	}
	return nil
}
