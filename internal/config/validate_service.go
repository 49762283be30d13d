package config

import (
	"fmt"
	"regexp"

	"github.com/gennaker/gennaker/internal/model"
)

// portName is Kubernetes' IANA_SVC_NAME: at most 15 lowercase letters,
// digits and '-', with a letter, not starting or ending with '-'.
var portName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$`)

var hasLetter = regexp.MustCompile(`[a-z]`)

// validateService checks spec.service: the stable Service's name and ports
// follow Kubernetes' rules, so a mistake is reported at apply time with its
// position rather than by the API server in the middle of a deploy.
func validateService(doc *Document, s *model.ServiceSpec) []Error {
	if s == nil {
		return nil
	}
	var errs []Error
	if s.Name != "" {
		if msg := checkName(s.Name); msg != "" {
			errs = append(errs, doc.errorf("spec.service.name", "%s", msg))
		} else if s.Name[0] >= '0' && s.Name[0] <= '9' {
			errs = append(errs, doc.errorf("spec.service.name", "%q starts with a digit: a Service name must start with a letter", s.Name))
		}
	}
	names := map[string]bool{}
	ports := map[string]bool{}
	for i, p := range s.Ports {
		path := fmt.Sprintf("spec.service.ports[%d]", i)
		switch {
		case p.Name == "" && len(s.Ports) > 1:
			errs = append(errs, doc.errorf(path+".name", "the Service has %d ports, so each needs a name (such as http or grpc)", len(s.Ports)))
		case p.Name != "" && (!portName.MatchString(p.Name) || !hasLetter.MatchString(p.Name)):
			errs = append(errs, doc.errorf(path+".name", "%q is not a port name: at most 15 lowercase letters, digits and '-', with a letter, such as grpc or http-metrics", p.Name))
		case names[p.Name] && p.Name != "":
			errs = append(errs, doc.errorf(path+".name", "port name %q is used twice: give each port its own", p.Name))
		}
		names[p.Name] = true
		if p.Port < 1 || p.Port > 65535 {
			errs = append(errs, doc.errorf(path+".port", "%d is not a port: use 1 to 65535", p.Port))
		}
		switch p.Protocol {
		case "", "TCP", "UDP", "SCTP":
		default:
			errs = append(errs, doc.errorf(path+".protocol", "%q is not a protocol: use TCP (the default), UDP or SCTP", p.Protocol))
		}
		key := fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if ports[key] {
			errs = append(errs, doc.errorf(path+".port", "port %d is listed twice: give each port once", p.Port))
		}
		ports[key] = true
		t := p.TargetPort
		switch {
		case t.Name != "" && (!portName.MatchString(t.Name) || !hasLetter.MatchString(t.Name)):
			errs = append(errs, doc.errorf(path+".targetPort", "%q is neither a port number nor a container port name (at most 15 lowercase letters, digits and '-')", t.Name))
		case t.Name == "" && (t.Number < 0 || t.Number > 65535):
			errs = append(errs, doc.errorf(path+".targetPort", "%d is not a port: use 1 to 65535", t.Number))
		}
	}
	return errs
}
