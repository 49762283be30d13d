package incident

import (
	"fmt"
	"regexp"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Webhook is the body Alertmanager posts to a webhook receiver (payload
// version 4). Unknown fields are ignored, so a newer Alertmanager's
// additions do not break it.
type Webhook struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey,omitempty"`
	TruncatedAlerts   int               `json:"truncatedAlerts,omitempty"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels,omitempty"`
	CommonLabels      map[string]string `json:"commonLabels,omitempty"`
	CommonAnnotations map[string]string `json:"commonAnnotations,omitempty"`
	ExternalURL       string            `json:"externalURL,omitempty"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of a Webhook.
type Alert struct {
	// Status is "firing" or "resolved".
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	Fingerprint  string            `json:"fingerprint"`
}

// Alert statuses.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// LabelNames says which labels of an alert name its application and its
// environment: the first of each list that the alert has.
type LabelNames struct {
	Application []string
	Environment []string
}

// DefaultLabels are the label names looked at when the request names none:
// application, app or service; environment or env.
var DefaultLabels = LabelNames{
	Application: []string{"application", "app", "service"},
	Environment: []string{"environment", "env"},
}

var fingerprintPattern = regexp.MustCompile(`^[0-9A-Za-z]{1,64}$`)

// FromAlert maps an alert to the request that records it: a firing alert
// opens its incident, a resolved one opens it if gennaker never saw it
// fire and resolves it at EndsAt. The ID is AlertID, so a resend is the
// same incident. An alert that cannot be mapped (no application or
// environment label, no fingerprint or start, an unknown status) returns
// an error wrapping ErrInvalid that says why; the caller skips it.
func FromAlert(a Alert, names LabelNames) (OpenRequest, error) {
	app := firstLabel(a.Labels, names.Application)
	env := firstLabel(a.Labels, names.Environment)
	switch {
	case app == "":
		return OpenRequest{}, fmt.Errorf("%w: the alert has none of the labels %v naming its application: add one to the alert rule (or name the label with ?application_label=)", ErrInvalid, names.Application)
	case env == "":
		return OpenRequest{}, fmt.Errorf("%w: the alert has none of the labels %v naming its environment: add one to the alert rule or the receiver's route (or name the label with ?environment_label=)", ErrInvalid, names.Environment)
	case !fingerprintPattern.MatchString(a.Fingerprint):
		return OpenRequest{}, fmt.Errorf("%w: the alert's fingerprint %q is not one Alertmanager makes (1 to 64 letters and digits)", ErrInvalid, cut(a.Fingerprint, 70))
	case a.StartsAt.IsZero():
		return OpenRequest{}, fmt.Errorf("%w: the alert has no startsAt", ErrInvalid)
	}
	req := OpenRequest{
		ID: AlertID(a.Fingerprint, a.StartsAt), Application: app, Environment: env, Title: alertTitle(a),
		Source: model.IncidentSourceAlertmanager, StartedAt: a.StartsAt, URL: cutBytes(a.GeneratorURL, MaxURL), Labels: a.Labels,
	}
	switch a.Status {
	case AlertFiring:
	case AlertResolved:
		if a.EndsAt.IsZero() {
			return OpenRequest{}, fmt.Errorf("%w: the resolved alert has no endsAt", ErrInvalid)
		}
		end := a.EndsAt
		req.ResolvedAt = &end
	default:
		return OpenRequest{}, fmt.Errorf("%w: the alert's status %q is neither firing nor resolved", ErrInvalid, cut(a.Status, 40))
	}
	return req, nil
}

func firstLabel(labels map[string]string, names []string) string {
	for _, n := range names {
		if v := labels[n]; v != "" {
			return v
		}
	}
	return ""
}

// alertTitle is the alert's summary annotation, or its title or
// description, or its alertname label.
func alertTitle(a Alert) string {
	for _, k := range []string{"summary", "title", "description"} {
		if v := Title(a.Annotations[k]); v != "" {
			return v
		}
	}
	if v := Title(a.Labels["alertname"]); v != "" {
		return v
	}
	return "alert " + a.Fingerprint
}
