package config

import (
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// Gateway API routing config follows the HTTPRoute CRD's own rules
// (gateway.networking.k8s.io/v1, standard channel), so a mistake is
// reported at apply time with its position rather than by the API server
// in the middle of a deploy.

// Limits of the HTTPRoute CRD that gennaker's config maps onto.
const (
	maxParentRefs    = 32 // spec.parentRefs
	maxHostnames     = 16 // spec.hostnames
	maxPaths         = 64 // matches per rule (two rules: at most 128 per route)
	maxCanaryHeaders = 16 // headers per match
	maxPathLength    = 1024
	maxHeaderName    = 256
	maxHeaderValue   = 4096
)

// subdomain is a DNS-1123 subdomain (Gateway names, sectionNames).
var subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// headerToken is an HTTP header field name (RFC 7230 token).
var headerToken = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$")

// pathChars are the characters of an Exact or PathPrefix path.
var pathChars = regexp.MustCompile(`^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$`)

// validateGateway checks target.gateway of a traffic: gateway environment.
func validateGateway(doc *Document, t *model.TargetSpec) []Error {
	g := t.Gateway
	if g == nil {
		return nil
	}
	const base = "spec.target.gateway"
	var errs []Error
	if len(g.ParentRefs) > 0 {
		for _, f := range []struct {
			name string
			set  bool
		}{{"namespace", g.Namespace != ""}, {"sectionName", g.SectionName != ""}, {"port", g.Port != 0}} {
			if f.set {
				errs = append(errs, doc.errorf(fieldPath(base, f.name), "with parentRefs, write %s in each parentRefs entry (it is the short form of one Gateway)", f.name))
			}
		}
	}
	if len(g.ParentRefs) > maxParentRefs {
		errs = append(errs, doc.errorf(base+".parentRefs", "%d parentRefs: an HTTPRoute has at most %d", len(g.ParentRefs), maxParentRefs))
	}
	if g.Name != "" {
		errs = append(errs, checkParentRef(doc, base, model.ParentRef{Name: g.Name, Namespace: g.Namespace, SectionName: g.SectionName, Port: g.Port})...)
	}
	type parent struct{ name, ns string }
	first := map[parent]int{}
	sections := map[parent]map[string]int{}
	for i, p := range g.ParentRefs {
		path := indexPath(base+".parentRefs", i)
		errs = append(errs, checkParentRef(doc, path, p)...)
		k := parent{p.Name, p.Namespace}
		if k.ns == "" {
			k.ns = t.Namespace
		}
		j, again := first[k]
		if !again {
			first[k] = i
			sections[k] = map[string]int{p.SectionName: i}
			continue
		}
		other := g.ParentRefs[j]
		switch {
		case p.SectionName == "" || other.SectionName == "":
			errs = append(errs, doc.errorf(path, "Gateway %s is listed at %s too: when a Gateway is listed more than once, give each entry a sectionName (the listener)", p.Name, indexPath(base+".parentRefs", j)))
		default:
			errs = append(errs, listedTwice(doc, sections[k], base+".parentRefs", i, p.SectionName, fmt.Sprintf("listener %s of Gateway %s", p.SectionName, p.Name))...)
		}
	}
	for _, app := range sortedKeys(g.Hostnames) {
		errs = append(errs, checkHostnames(doc, fieldPath(base+".hostnames", app), g.Hostnames[app])...)
	}
	return errs
}

// checkParentRef checks one parent Gateway written at path.
func checkParentRef(doc *Document, path string, p model.ParentRef) []Error {
	var errs []Error
	switch {
	case p.Name == "":
		// the decoder reports the missing field
	case len(p.Name) > 253 || !subdomain.MatchString(p.Name):
		errs = append(errs, doc.errorf(fieldPath(path, "name"), "%q is not a Gateway name: use lowercase letters, digits, '-' and '.', such as %q", p.Name, suggestName(p.Name)))
	}
	if p.Namespace != "" {
		if msg := checkName(p.Namespace); msg != "" {
			errs = append(errs, doc.errorf(fieldPath(path, "namespace"), "namespace %s", msg))
		}
	}
	if s := p.SectionName; s != "" && (len(s) > 253 || !subdomain.MatchString(s)) {
		errs = append(errs, doc.errorf(fieldPath(path, "sectionName"), "%q is not a listener name: use lowercase letters, digits, '-' and '.', as the Gateway's listeners[].name, such as %q", s, suggestName(s)))
	}
	if p.Port < 0 || p.Port > 65535 {
		errs = append(errs, doc.errorf(fieldPath(path, "port"), "%d is not a port: use the listener's port, 1 to 65535", p.Port))
	}
	return errs
}

// validateHTTPRoute checks an application's spec.httpRoute.
func validateHTTPRoute(doc *Document, r *model.HTTPRouteSpec) []Error {
	if r == nil {
		return nil
	}
	const base = "spec.httpRoute"
	errs := checkHostnames(doc, base+".hostnames", r.Hostnames)
	if len(r.Paths) > maxPaths {
		errs = append(errs, doc.errorf(base+".paths", "%d paths: write at most %d (an HTTPRoute rule has at most %d matches)", len(r.Paths), maxPaths, maxPaths))
	}
	firstPath := map[model.PathMatch]int{}
	for i, p := range r.PathMatches() {
		path := indexPath(base+".paths", i)
		if p.Value == "" && !doc.pos.has(fieldPath(path, "value")) {
			continue // the decoder reports the missing field
		}
		if msg := checkPath(p, r.RegularExpressions); msg != "" {
			errs = append(errs, doc.errorf(fieldPath(path, "value"), "%s", msg))
			continue
		}
		errs = append(errs, listedTwice(doc, firstPath, base+".paths", i, p, fmt.Sprintf("%s %s", p.Type, p.Value))...)
	}
	if len(r.CanaryHeaders) > maxCanaryHeaders {
		errs = append(errs, doc.errorf(base+".canaryHeaders", "%d canary headers: a match has at most %d", len(r.CanaryHeaders), maxCanaryHeaders))
	}
	firstHeader := map[string]int{}
	for i, h := range r.CanaryMatch() {
		if len(r.CanaryHeaders) == 0 {
			break
		}
		path := indexPath(base+".canaryHeaders", i)
		written := func(field string) bool { return doc.pos.has(fieldPath(path, field)) } // else the decoder reports it missing
		if msg := checkHeaderName(h.Name); msg != "" && written("name") {
			errs = append(errs, doc.errorf(fieldPath(path, "name"), "%s", msg))
		} else if msg == "" {
			errs = append(errs, listedTwice(doc, firstHeader, base+".canaryHeaders", i, strings.ToLower(h.Name), "header "+h.Name)...)
		}
		if msg := checkHeaderValue(h, r.RegularExpressions); msg != "" && written("value") {
			errs = append(errs, doc.errorf(fieldPath(path, "value"), "%s", msg))
		}
	}
	return errs
}

// checkHostnames checks a list of HTTPRoute hostnames written at path.
func checkHostnames(doc *Document, path string, hosts []string) []Error {
	var errs []Error
	if len(hosts) > maxHostnames {
		errs = append(errs, doc.errorf(path, "%d hostnames: an HTTPRoute has at most %d", len(hosts), maxHostnames))
	}
	first := map[string]int{}
	for i, h := range hosts {
		if msg := checkHostname(h); msg != "" {
			errs = append(errs, doc.errorf(indexPath(path, i), "%s", msg))
			continue
		}
		errs = append(errs, listedTwice(doc, first, path, i, h, "hostname "+h)...)
	}
	return errs
}

// checkHostname returns what is wrong with an HTTPRoute hostname, or "":
// a lowercase DNS name, no IP address, no port, and a wildcard only as the
// whole leftmost label (Gateway API's Hostname).
func checkHostname(h string) string {
	bare := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	switch {
	case h == "":
		return "the hostname is empty: write a DNS name such as shop.example.com"
	case net.ParseIP(bare) != nil:
		return fmt.Sprintf("%q is an IP address: Gateway API hostnames are DNS names; write the name clients send in the Host header, or leave hostnames out to match every host", h)
	case strings.Contains(h, ":"):
		return fmt.Sprintf("%q has a port: write the hostname alone (the Gateway's listener has the port)", h)
	case len(h) > 253:
		return fmt.Sprintf("%q is %d characters long: a hostname has at most 253", h, len(h))
	case strings.HasSuffix(h, "."):
		return fmt.Sprintf("%q ends with a dot: write it without, such as %q", h, strings.TrimSuffix(h, "."))
	case h == "*" || strings.Contains(strings.TrimPrefix(h, "*."), "*"):
		return fmt.Sprintf("%q has a wildcard that is not the whole leftmost label: write one such as *.example.com (which matches one or more labels), or the full name", h)
	case strings.ToLower(h) != h:
		return fmt.Sprintf("%q has capital letters: hostnames are written in lowercase, such as %q", h, strings.ToLower(h))
	}
	for _, label := range strings.Split(strings.TrimPrefix(h, "*."), ".") {
		if len(label) > 63 {
			return fmt.Sprintf("%q has a label of %d characters: each part between dots has at most 63", h, len(label))
		}
		if !dnsLabel.MatchString(label) {
			return fmt.Sprintf("%q is not a hostname: use lowercase letters, digits and '-' between dots, each part starting and ending with a letter or digit, such as shop.example.com", h)
		}
	}
	return ""
}

// checkPath returns what is wrong with a path match, or "".
func checkPath(p model.PathMatch, regex bool) string {
	v := p.Value
	if len(v) > maxPathLength {
		return fmt.Sprintf("the path is %d characters long: at most %d", len(v), maxPathLength)
	}
	if p.Type == model.PathRegularExpression {
		if !regex {
			return fmt.Sprintf("%q is a RegularExpression path: their syntax and support depend on the Gateway implementation, so set httpRoute.regularExpressions: true if yours supports them (RE2 for Envoy-based ones), or use a PathPrefix or Exact path", v)
		}
		if v == "" {
			return "the regular expression is empty: write one such as /api/v[0-9]+/orders"
		}
		if _, err := regexp.Compile(v); err != nil {
			return fmt.Sprintf("%q is not a regular expression: %v", v, err)
		}
		return ""
	}
	switch {
	case !strings.HasPrefix(v, "/"):
		return fmt.Sprintf("%q must start with \"/\", such as %q", v, "/"+v)
	case strings.Contains(v, "//"), strings.Contains(v, "/./"), strings.Contains(v, "/../"), strings.HasSuffix(v, "/.."), strings.HasSuffix(v, "/."):
		return fmt.Sprintf("%q is not a normalized path (no \"//\", \"/./\" or \"/../\", no trailing \"/.\" or \"/..\"): write the path requests arrive on", v)
	case strings.Contains(strings.ToLower(v), "%2f"):
		return fmt.Sprintf("%q has an encoded slash (%%2F): Gateway API refuses it in a %s path; write \"/\"", v, p.Type)
	case strings.Contains(v, "#"):
		return fmt.Sprintf("%q has a fragment (#): browsers never send it; write the path alone", v)
	case !pathChars.MatchString(v):
		return fmt.Sprintf("%q has characters a path may not hold: percent-encode them (a space is %%20)", v)
	}
	return ""
}

// checkHeaderName returns what is wrong with an HTTP header name, or "".
func checkHeaderName(name string) string {
	switch {
	case name == "":
		return "the header name is empty: write one such as X-Canary"
	case len(name) > maxHeaderName:
		return fmt.Sprintf("the header name is %d characters long: at most %d", len(name), maxHeaderName)
	case !headerToken.MatchString(name):
		return fmt.Sprintf("%q is not an HTTP header name (RFC 7230: letters, digits and !#$%%&'*+-.^_`|~, no spaces or colons), such as X-Canary", name)
	}
	return ""
}

// checkHeaderValue returns what is wrong with a canary header's value, or "".
func checkHeaderValue(h model.HeaderMatch, regex bool) string {
	v := h.Value
	switch {
	case v == "":
		return fmt.Sprintf("header %s has no value: write the value a canary request carries, such as \"true\"", h.Name)
	case len(v) > maxHeaderValue:
		return fmt.Sprintf("the value is %d characters long: at most %d", len(v), maxHeaderValue)
	case strings.ContainsAny(v, "\r\n\x00"):
		return fmt.Sprintf("header %s's value has a line break or NUL, which no request can carry: write it on one line", h.Name)
	case h.Type == model.HeaderRegularExpression && !regex:
		return fmt.Sprintf("header %s is matched by a regular expression: their syntax and support depend on the Gateway implementation, so set httpRoute.regularExpressions: true if yours supports them, or use type Exact", h.Name)
	case h.Type == model.HeaderRegularExpression:
		if _, err := regexp.Compile(v); err != nil {
			return fmt.Sprintf("%q is not a regular expression: %v", v, err)
		}
	}
	return ""
}
