package stage

import (
	"fmt"
	"maps"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// refused says why a deploy may not start, before it waits for its turn:
// its target cannot deploy there (DeployChecker), its version is not a
// safe token, or it sets variables its application does not let a deploy
// set. It is "" for a deploy that may go on; a rollback is asked only the
// target's question (it adds no version and no variable).
func (d *Deploy) refused(in Input, w world) string {
	if err := checkTarget(w.target, w.app, w.env); err != nil {
		return err.Error()
	}
	if d.Rollback {
		return ""
	}
	if v := resolveVersion(in); v != "" {
		if err := model.CheckVersion(v); err != nil {
			return fmt.Sprintf("the version from %s: %v", versionSource(in), err)
		}
	}
	if _, err := paramsEnv(in, w.app); err != nil {
		return err.Error()
	}
	return ""
}

// versionSource names where resolveVersion read the version, for messages.
func versionSource(in Input) string {
	if in.Spec.Deploy.Version != "" {
		return fmt.Sprintf("deploy.version %q of stage %s", in.Spec.Deploy.Version, in.Spec.Name)
	}
	return `the parameter "version"`
}

// resolveVersion reads deploy.version (with {{params.NAME}} placeholders) or the "version" parameter.
func resolveVersion(in Input) string {
	v := in.Spec.Deploy.Version
	if v == "" {
		return in.Execution.Params["version"]
	}
	return expandParams(v, in.Execution.Params)
}

func expandParams(s string, params map[string]string) string {
	for k, v := range params {
		s = strings.ReplaceAll(s, "{{params."+k+"}}", v)
		s = strings.ReplaceAll(s, "{{ params."+k+" }}", v)
	}
	return s
}

// paramsEnv is what the execution's env.NAME parameters set, refused unless
// app lets a deploy set each name. The stage asks when it starts (refused)
// and again when it creates the group (deployEnv), for a stage that planned
// before the rule or whose application changed since.
func paramsEnv(in Input, app model.Application) (map[string]string, error) {
	set := model.DeployEnvFromParams(in.Execution.Params)
	if err := app.CheckDeployEnv(set); err != nil {
		return nil, fmt.Errorf("this run's %sNAME parameters: %w", model.DeployEnvParam, err)
	}
	return set, nil
}

// deployEnv is the environment the new version's instances get: deploy.env
// (written by admins in config) plus paramsEnv.
func deployEnv(in Input, app model.Application) (map[string]string, error) {
	set, err := paramsEnv(in, app)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if in.Spec.Deploy != nil {
		for k, v := range in.Spec.Deploy.Env {
			out[k] = expandParams(v, in.Execution.Params)
		}
	}
	maps.Copy(out, set)
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
