package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/incident"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Incident routes (docs/kpis.md, "Incident sources"). Recording or
// resolving an incident of an application in an environment needs the
// deploy permission there: it changes that application's delivery record
// (its change failure rate) as a rollback does, and a token of role
// deployer narrowed to the production environment (and a team or an
// application, when it need not cover every one) is the narrowest grant
// that allows it. Alertmanager's webhook is checked alert by alert.
const (
	incidentsRoute    = "/api/v1/incidents"
	alertmanagerRoute = "POST /api/v1/incidents/alertmanager"
	// maxAlertmanagerBody bounds a webhook's body, like the trigger hooks'.
	maxAlertmanagerBody = 1 << 20
	// maxAlerts bounds the alerts of one webhook (Alertmanager's
	// max_alerts on the receiver keeps it under).
	maxAlerts = 1000
	// maxIdempotencyKey bounds the Idempotency-Key header.
	maxIdempotencyKey = 200
)

// IncidentRequest is the body of POST /api/v1/incidents.
type IncidentRequest struct {
	Application string `json:"application"`
	Environment string `json:"environment"`
	Title       string `json:"title"`
	// StartedAt is an RFC 3339 time (default: now).
	StartedAt string `json:"startedAt,omitempty"`
	URL       string `json:"url,omitempty"`
}

// ResolveIncidentRequest is the body of POST /api/v1/incidents/{id}/resolve.
type ResolveIncidentRequest struct {
	// ResolvedAt is an RFC 3339 time (default: now).
	ResolvedAt string `json:"resolvedAt,omitempty"`
}

// AlertmanagerResult is the answer to Alertmanager's webhook: what became
// of each alert. Alerts that cannot be recorded (no known application or
// environment, a token that may not record there) are listed, not
// retried: the answer is 200 unless the server failed.
type AlertmanagerResult struct {
	// Recorded counts the alerts that opened or resolved an incident now.
	Recorded int `json:"recorded"`
	// Unchanged counts alerts recorded before (a resend).
	Unchanged int `json:"unchanged"`
	// Skipped counts the alerts skipped or refused.
	Skipped int            `json:"skipped"`
	Alerts  []AlertOutcome `json:"alerts"`
}

// AlertOutcome is what became of one alert.
type AlertOutcome struct {
	Fingerprint string `json:"fingerprint"`
	// Status is the alert's: firing or resolved.
	Status      string `json:"status"`
	Application string `json:"application,omitempty"`
	Environment string `json:"environment,omitempty"`
	Incident    string `json:"incident,omitempty"`
	// Outcome is opened, resolved (or both, "opened,resolved"),
	// unchanged (a resend), skipped (it names no known application and
	// environment, or is malformed) or refused (the token may not record
	// incidents there).
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

func (s *Server) incidents() *incident.Service { return &incident.Service{Store: s.cfg.Store} }

// mayRecord is the rule of writes: deploy on the application in the
// environment.
func mayRecord(r *http.Request) func(app, env string) error {
	p, pol := principal(r), auth.PolicyFrom(r.Context())
	return func(app, env string) error { return p.Check(auth.PermDeploy, pol.App(app, env)) }
}

// incidentError turns a request the service found invalid into a 400.
func incidentError(err error) error {
	if errors.Is(err, incident.ErrInvalid) && !errors.Is(err, errBadInput) {
		return fmt.Errorf("%w: %w", errBadInput, err)
	}
	return err
}

func (s *Server) openIncident(w http.ResponseWriter, r *http.Request) {
	e := s.entry(r, model.AuditIncidentOpen, "incidents", "")
	var req IncidentRequest
	if err := decodeAction(w, r, &req, func(fc *fieldCheck) {
		fc.str("application", req.Application, maxName)
		fc.str("environment", req.Environment, maxName)
		fc.str("title", req.Title, 4*incident.MaxTitle)
		fc.str("url", req.URL, incident.MaxURL)
	}); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	e.Application = req.Application
	start, err := parseTime(req.StartedAt)
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey || strings.ContainsFunc(key, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		s.failAction(w, r, e, fmt.Errorf("%w: the Idempotency-Key header is at most %d printable bytes", errBadInput, maxIdempotencyKey))
		return
	}
	actor := principal(r).Actor()
	oreq := incident.OpenRequest{Application: req.Application, Environment: req.Environment, Title: strings.TrimSpace(req.Title),
		Source: model.IncidentSourceAPI, URL: req.URL, By: actor, Audit: e, Check: mayRecord(r)}
	if start != nil {
		oreq.StartedAt = *start
	}
	if key != "" {
		oreq.ID = incident.IdempotencyID(actor, key)
	}
	res, err := s.incidents().Open(r.Context(), oreq)
	if err != nil {
		s.failAction(w, r, e, incidentError(err))
		return
	}
	code := http.StatusOK // a replay of an Idempotency-Key
	if res.Opened {
		code = http.StatusCreated
	}
	writeJSON(w, code, res.Incident)
}

func (s *Server) resolveIncident(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e := s.entry(r, model.AuditIncidentResolve, "incident/"+id, "")
	var req ResolveIncidentRequest
	if err := decodeAction(w, r, &req, func(fc *fieldCheck) { fc.str("id", id, incident.MaxID) }); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	at, err := parseTime(req.ResolvedAt)
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	check := mayRecord(r)
	rreq := incident.ResolveRequest{ID: id, By: principal(r).Actor(), Audit: e, Check: func(inc *model.Incident) error {
		e.Application = inc.Application
		return check(inc.Application, inc.Environment)
	}}
	if at != nil {
		rreq.At = *at
	}
	res, err := s.incidents().Resolve(r.Context(), rreq)
	if err != nil {
		s.failAction(w, r, e, incidentError(err))
		return
	}
	writeJSON(w, http.StatusOK, res.Incident)
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := store.IncidentListParams{Application: truncate(q.Get("application"), maxName), Environment: truncate(q.Get("environment"), maxName)}
	switch v := q.Get("open"); v {
	case "", "false":
	case "true":
		p.OpenOnly = true
	default:
		s.writeError(w, r, fmt.Errorf("%w: query parameter open: %q: use true or false", errBadInput, truncate(v, 20)))
		return
	}
	var err error
	if p.Limit, err = queryLimit(q, store.MaxIncidentPage, store.DefaultIncidentPage); err != nil {
		s.writeError(w, r, err)
		return
	}
	if c := q.Get("cursor"); c != "" {
		if p.Before, err = decodeIncidentCursor(c); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	rd := auth.ReadableFrom(r.Context())
	if rd.None() || (p.Application != "" && !rd.Has(p.Application)) {
		writeJSON(w, http.StatusOK, []model.Incident{})
		return
	}
	p.Applications = rd.Names()
	incs, err := s.cfg.Store.IncidentList(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(incs) == p.PageSize() {
		setNextLink(w, r, encodeIncidentCursor(incs[len(incs)-1]))
	}
	writeJSON(w, http.StatusOK, nonNil(incs))
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	inc, err := s.cfg.Store.IncidentGet(r.Context(), truncate(r.PathValue("id"), incident.MaxID))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, pol := principal(r), auth.PolicyFrom(r.Context())
	if err := p.Check(auth.PermRead, pol.App(inc.Application)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inc)
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,99}$`)

// alertmanagerLabels reads the label names of ?application_label= and
// ?environment_label=, each replacing its default list.
func alertmanagerLabels(r *http.Request) (incident.LabelNames, error) {
	names := incident.DefaultLabels
	q := r.URL.Query()
	for _, p := range []struct {
		param string
		into  *[]string
	}{{"application_label", &names.Application}, {"environment_label", &names.Environment}} {
		v := q.Get(p.param)
		if v == "" {
			continue
		}
		if !labelName.MatchString(v) {
			return names, fmt.Errorf("%w: query parameter %s: %q is not a Prometheus label name (letters, digits and _, at most 100)", errBadInput, p.param, truncate(v, 40))
		}
		*p.into = []string{v}
	}
	return names, nil
}

// alertmanager receives Alertmanager's webhook: each alert opens or
// resolves its incident, checked one by one against what the token may
// do. Alerts that cannot be recorded are reported and not retried; a
// failure of the server answers 5xx, and Alertmanager's retry is safe
// (what was recorded is not recorded twice).
func (s *Server) alertmanager(w http.ResponseWriter, r *http.Request) {
	names, err := alertmanagerLabels(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := readJSONBody(w, r, maxAlertmanagerBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var hook incident.Webhook
	if err := json.Unmarshal(body, &hook); err != nil {
		s.writeError(w, r, fmt.Errorf("%w: the body is not Alertmanager's webhook JSON: %v", errBadInput, err))
		return
	}
	if hook.Version != "" && hook.Version != "4" {
		s.writeError(w, r, fmt.Errorf("%w: webhook payload version %q: gennaker reads version 4 (Alertmanager 0.16 and later)", errBadInput, truncate(hook.Version, 20)))
		return
	}
	if len(hook.Alerts) > maxAlerts {
		s.writeError(w, r, fmt.Errorf("%w: %d alerts in one webhook, over the limit of %d: set max_alerts: %d on the receiver's webhook_config", errTooLarge, len(hook.Alerts), maxAlerts, maxAlerts))
		return
	}
	svc, check, actor := s.incidents(), mayRecord(r), principal(r).Actor()
	out := AlertmanagerResult{Alerts: make([]AlertOutcome, 0, len(hook.Alerts))}
	for _, a := range hook.Alerts {
		o := AlertOutcome{Fingerprint: truncate(a.Fingerprint, 64), Status: truncate(a.Status, 20)}
		req, err := incident.FromAlert(a, names)
		if err == nil {
			o.Application, o.Environment, o.Incident = truncate(req.Application, maxName), truncate(req.Environment, maxName), req.ID
			e := s.entry(r, model.AuditIncidentOpen, "incident/"+req.ID, req.Application)
			req.By, req.Audit, req.Check = actor, e, check
			var res incident.Result
			res, err = svc.Open(r.Context(), req)
			switch {
			case err == nil:
				o.Outcome = alertOutcome(res)
			case errors.Is(err, auth.ErrForbidden):
				s.cfg.Audit.Record(r.Context(), *e, model.AuditRefused, err)
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, auth.ErrForbidden):
			o.Outcome, o.Reason = "refused", err.Error()
		case errors.Is(err, incident.ErrInvalid), errors.Is(err, store.ErrConflict):
			o.Outcome, o.Reason = "skipped", err.Error()
		default:
			s.writeError(w, r, err)
			return
		}
		switch o.Outcome {
		case "unchanged":
			out.Unchanged++
		case "refused", "skipped":
			out.Skipped++
		default:
			out.Recorded++
		}
		out.Alerts = append(out.Alerts, o)
	}
	if out.Skipped > 0 {
		s.log.Warn("Alertmanager webhook: alerts not recorded", "actor", actor, "skipped", out.Skipped, "recorded", out.Recorded)
	}
	writeJSON(w, http.StatusOK, out)
}

func alertOutcome(res incident.Result) string {
	switch {
	case res.Opened && res.Resolved:
		return "opened,resolved"
	case res.Opened:
		return "opened"
	case res.Resolved:
		return "resolved"
	}
	return "unchanged"
}

// An incident cursor names the last incident of a page: its start and
// ID, base64url-encoded. Clients pass it back as ?cursor= without reading it.
func encodeIncidentCursor(inc model.Incident) string {
	return base64.RawURLEncoding.EncodeToString([]byte("incident|" + inc.StartedAt.UTC().Format(time.RFC3339Nano) + "|" + inc.ID))
}

func decodeIncidentCursor(s string) (*store.IncidentCursor, error) {
	bad := fmt.Errorf("%w: cursor %q is not one this server gave: pass the cursor of the answer's Link header as it is", errBadInput, truncate(s, 40))
	if len(s) > 400 {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	rest, ok := strings.CutPrefix(string(raw), "incident|")
	ts, id, ok2 := strings.Cut(rest, "|")
	if !ok || !ok2 || id == "" {
		return nil, bad
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil, bad
	}
	return &store.IncidentCursor{StartedAt: t, ID: id}, nil
}
