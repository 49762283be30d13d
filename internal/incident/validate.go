package incident

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gennaker/gennaker/internal/model"
)

// ErrInvalid marks a request that can never succeed as sent (a missing
// field, an unknown application, a time in the future): the API answers
// 400, and Alertmanager's alerts that fail it are skipped, not retried.
var ErrInvalid = errors.New("invalid incident")

// Limits of what an incident stores.
const (
	// MaxTitle is the longest title, in characters.
	MaxTitle = 200
	// MaxID is the longest incident ID, in bytes.
	MaxID = 200
	// MaxURL is the longest link, in bytes.
	MaxURL = 2048
	// MaxLabels is how many of an alert's labels are kept; MaxLabelKey and
	// MaxLabelValue bound each (longer ones are cut).
	MaxLabels     = 32
	MaxLabelKey   = 128
	MaxLabelValue = 1024
	// MaxSkew is how far in the future a start or resolution may lie: the
	// clock of the sender may be a little ahead of the server's.
	MaxSkew = 5 * time.Minute
)

// Known says whether an application and an environment exist in the
// config (the Validate functions take it so they stay pure).
type Known struct {
	Application, Environment bool
}

// Validate checks a request to open an incident, at now, against what the
// config holds. Its error wraps ErrInvalid and names every bad field.
func Validate(req OpenRequest, known Known, now time.Time) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	switch {
	case req.Application == "":
		add("application: name the application that misbehaved")
	case !known.Application:
		add("application %q does not exist: list them with `gennaker applications` (an incident is about a configured application)", cut(req.Application, 100))
	}
	switch {
	case req.Environment == "":
		add("environment: name the environment it misbehaved in")
	case !known.Environment:
		add("environment %q does not exist: list them with `gennaker environments`", cut(req.Environment, 100))
	}
	switch n := utf8.RuneCountInString(req.Title); {
	case strings.TrimSpace(req.Title) == "":
		add("title: say in a few words what is wrong")
	case !utf8.ValidString(req.Title):
		add("title is not valid UTF-8")
	case n > MaxTitle:
		add("title is %d characters long, over the limit of %d", n, MaxTitle)
	}
	if req.ID != "" && (len(req.ID) > MaxID || !utf8.ValidString(req.ID) || strings.ContainsFunc(req.ID, isControl)) {
		add("id: at most %d bytes of printable UTF-8", MaxID)
	}
	if len(req.URL) > MaxURL || !utf8.ValidString(req.URL) {
		add("url: at most %d bytes of UTF-8", MaxURL)
	}
	if req.Source != model.IncidentSourceAlertmanager && req.Source != model.IncidentSourceAPI {
		add("source %q: use %s or %s", cut(req.Source, 40), model.IncidentSourceAlertmanager, model.IncidentSourceAPI)
	}
	if !req.StartedAt.IsZero() && req.StartedAt.After(now.Add(MaxSkew)) {
		add("startedAt %s is in the future (the server's clock says %s): send when the incident began", req.StartedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if req.ResolvedAt != nil {
		start := req.StartedAt
		if start.IsZero() {
			start = now
		}
		if err := checkResolution(start, *req.ResolvedAt, now); err != nil {
			add("%s", err)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// ValidateResolve checks a resolution time against the incident's start,
// at now.
func ValidateResolve(inc *model.Incident, at, now time.Time) error {
	if err := checkResolution(inc.StartedAt, at, now); err != nil {
		return fmt.Errorf("%w: incident %s: %s", ErrInvalid, inc.ID, err)
	}
	return nil
}

func checkResolution(start, at, now time.Time) error {
	switch {
	case at.After(now.Add(MaxSkew)):
		return fmt.Errorf("resolvedAt %s is in the future (the server's clock says %s): send when it was resolved, or nothing for now",
			at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case at.Before(start):
		return fmt.Errorf("resolvedAt %s is before the incident started (%s): an incident ends after it begins",
			at.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
	}
	return nil
}

// CapLabels returns labels cut to MaxLabels entries (by key order) and
// each key and value to its limit, for people reading them.
func CapLabels(labels map[string]string) map[string]string {
	if len(labels) == 0 {
		return nil
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(map[string]string, min(len(keys), MaxLabels))
	for _, k := range keys[:min(len(keys), MaxLabels)] {
		out[cutBytes(k, MaxLabelKey)] = cutBytes(labels[k], MaxLabelValue)
	}
	return out
}

// Title cuts s to MaxTitle characters (an alert's summary may be long).
func Title(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if utf8.RuneCountInString(s) <= MaxTitle {
		return s
	}
	r := []rune(s)
	return string(r[:MaxTitle-1]) + "…"
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// cutBytes cuts s to at most n bytes, at a character boundary.
func cutBytes(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func mustDetail(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("incident: audit detail: %v", err))
	}
	return b
}
