package kubernetes

// Labels and annotations gennaker puts on the objects it manages.
const (
	LabelApp         = "app.kubernetes.io/name"
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	LabelVersion     = "gennaker.dev/version"
	LabelServerGroup = "gennaker.dev/server-group"
	// LabelEnvironment on a server group's Deployment names the gennaker
	// environment it belongs to: two environments never share a namespace.
	LabelEnvironment = "gennaker.dev/environment"
	// LabelEnabled on a pod says whether the stable Service sends it traffic.
	LabelEnabled = "gennaker.dev/enabled"

	// AnnotationEnabled on a Deployment records whether its group should
	// take traffic; pod labels follow it.
	AnnotationEnabled = "gennaker.dev/enabled"
	// AnnotationStartupTimeout on a Deployment bounds WaitHealthy.
	AnnotationStartupTimeout = "gennaker.dev/startup-timeout"
	// AnnotationAdopted on a Deployment marks one gennaker adopted rather than created.
	AnnotationAdopted = "gennaker.dev/adopted"

	// ManagedBy is the value of LabelManagedBy and the field manager name.
	ManagedBy = "gennaker"

	// CanaryHeader routes a request to the canary group in gateway mode.
	CanaryHeader      = "X-Gennaker-Route"
	CanaryHeaderValue = "canary"
)

// groupLabels are the labels of a server group's Deployment and pods
// (without the traffic switch).
func groupLabels(app, version, group string) map[string]string {
	return map[string]string{
		LabelApp:         app,
		LabelManagedBy:   ManagedBy,
		LabelVersion:     sanitizeLabelValue(version),
		LabelServerGroup: group,
	}
}

// sanitizeLabelValue turns a version such as "1.4.2+build/7" into a valid
// label value (at most 63 of [A-Za-z0-9._-], alphanumeric at both ends).
func sanitizeLabelValue(v string) string {
	b := []byte(v)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) > 63 {
		b = b[:63]
	}
	isAlnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for len(b) > 0 && !isAlnum(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && !isAlnum(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return string(b)
}
