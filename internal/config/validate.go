package config

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// validateDocument checks one object on its own, before defaults are filled.
func validateDocument(doc *Document) []Error {
	var errs []Error
	if doc.pos.has("metadata.name") {
		if msg := checkName(doc.Name); msg != "" {
			errs = append(errs, doc.errorf("metadata.name", "%s", msg))
		}
	}
	switch {
	case doc.Application != nil:
		errs = append(errs, validateApplication(doc, doc.Application)...)
	case doc.Environment != nil:
		errs = append(errs, validateEnvironment(doc, doc.Environment)...)
	case doc.Pipeline != nil:
		errs = append(errs, validatePipeline(doc, doc.Pipeline)...)
	case doc.AnalysisTemplate != nil:
		errs = append(errs, checkAnalysisSpec(doc, "spec", doc.AnalysisTemplate.Spec)...)
	case doc.Team != nil:
		errs = append(errs, validateTeam(doc, doc.Team)...)
	case doc.Grant != nil:
		errs = append(errs, validateGrant(doc, doc.Grant)...)
	case doc.Notification != nil:
		errs = append(errs, validateNotification(doc, doc.Notification)...)
	}
	return errs
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// checkName returns what is wrong with an object name, or "".
func checkName(name string) string {
	switch {
	case name == "":
		return "the name is empty: write a name such as checkout"
	case len(name) > 63:
		return fmt.Sprintf("%q is %d characters long: names have at most 63", name, len(name))
	case !dnsLabel.MatchString(name):
		return fmt.Sprintf("%q is not a valid name: use lowercase letters, digits and '-', starting and ending with a letter or digit, such as %q",
			name, suggestName(name))
	}
	return ""
}

// suggestName turns s into a valid name, for messages.
func suggestName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.TrimRight(out[:63], "-")
	}
	if out == "" {
		return "my-app"
	}
	return out
}

func validateApplication(doc *Document, a *model.Application) []Error {
	var errs []Error
	if doc.pos.has("spec.instances") && a.Instances < 1 {
		errs = append(errs, doc.errorf("spec.instances", "%d instances: run at least 1 (or omit it for 1)", a.Instances))
	}
	if a.Run.Command == "" && a.Image == "" && a.Manifest == "" && a.ManifestTemplate == "" && a.Helm == nil && a.Kustomize == nil {
		errs = append(errs, doc.errorf("spec.run.command", "an application needs run.command to run on local targets (or image or manifest for Kubernetes targets)"))
	}
	if p := a.HealthCheck.Path; p != "" && !strings.HasPrefix(p, "/") {
		errs = append(errs, doc.errorf("spec.healthCheck.path", "%q must start with \"/\", such as %q", p, "/"+p))
	}
	if a.Port < 0 || a.Port > 65535 {
		errs = append(errs, doc.errorf("spec.port", "%d is not a port: use 1 to 65535", a.Port))
	}
	errs = append(errs, validateRendered(doc, a)...)
	errs = append(errs, validateManifest(doc, a)...)
	errs = append(errs, validateService(doc, a.Service)...)
	errs = append(errs, validateHTTPRoute(doc, a.HTTPRoute)...) // validate_gateway.go
	errs = append(errs, validateResources(doc, a.Resources)...)
	errs = append(errs, checkRunEnvSecrets(doc, a.Run.Env)...) // secret.go
	errs = append(errs, validateDeployEnv(doc, a.DeployEnv)...)
	errs = append(errs, validateAppSLO(doc, a.SLO)...) // validate_slo.go
	return errs
}

// validateDeployEnv checks the variables a deploy may set: valid names,
// each once, and none through which a deployer would run code.
func validateDeployEnv(doc *Document, names []string) []Error {
	const list = "spec.deployEnv"
	var errs []Error
	first := map[string]int{}
	for i, name := range names {
		path := indexPath(list, i)
		switch why := model.DeployEnvHazard(name); {
		case !model.ValidEnvName(name):
			errs = append(errs, doc.errorf(path, "%s", model.EnvNameProblem(name, "LOG_LEVEL")))
		case slices.Contains(model.InstanceEnv, name):
			errs = append(errs, doc.errorf(path, "gennaker sets %s for every instance and its value wins: remove it", name))
		case why != "":
			errs = append(errs, doc.errorf(path, "a deploy may not set %s (%s), so whoever deploys could take over the instances with it: if every version needs it, set it in run.env, which only config sets", name, why))
		default:
			errs = append(errs, listedTwice(doc, first, list, i, name, name)...)
		}
	}
	return errs
}

func validateEnvironment(doc *Document, e *model.Environment) []Error {
	var errs []Error
	errs = append(errs, validateTarget(doc, &e.Target)...)
	errs = append(errs, validateSLOPolicy(doc, e.SLOPolicy)...) // validate_slo.go
	if e.StickySessions && e.Target.Kind == model.TargetKubernetes {
		errs = append(errs, doc.errorf("spec.stickySessions", "only the front doors of local targets keep sticky sessions: remove it, or use your Gateway's session persistence on a kubernetes target"))
	}
	errs = append(errs, validateFrontDoorTLS(doc, e)...)
	for _, app := range sortedKeys(e.FrontDoors) {
		path := fieldPath("spec.frontDoors", app)
		if msg := checkHostPort(e.FrontDoors[app]); msg != "" {
			errs = append(errs, doc.errorf(path, "%s", msg))
		}
	}
	return errs
}

// checkHostPort returns what is wrong with a front door address, or "".
func checkHostPort(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not host:port: write an address such as 127.0.0.1:18080", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("%q has no valid port: use a number from 1 to 65535, such as 127.0.0.1:18080", addr)
	}
	return ""
}

func validateFrontDoorTLS(doc *Document, e *model.Environment) []Error {
	t := e.FrontDoorTLS
	if t == nil {
		return nil
	}
	if e.Target.Kind == model.TargetKubernetes {
		return []Error{doc.errorf("spec.frontDoorTLS", "only the front doors of local targets serve TLS: remove it, and terminate TLS at your Gateway or Ingress on a kubernetes target")}
	}
	var errs []Error
	for _, f := range []struct{ field, path string }{{"certFile", t.CertFile}, {"keyFile", t.KeyFile}} {
		switch {
		case f.path == "":
			errs = append(errs, doc.errorf("spec.frontDoorTLS."+f.field, "is required: give the PEM file's absolute path on the gennaker machine"))
		case !filepath.IsAbs(f.path):
			errs = append(errs, doc.errorf("spec.frontDoorTLS."+f.field, "%q is not an absolute path: give the PEM file's full path on the gennaker machine, such as /etc/gennaker/tls/%s", f.path, filepath.Base(f.path)))
		}
	}
	return errs
}
