package incident_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gennaker/gennaker/internal/incident"
)

// FuzzWebhook feeds arbitrary bodies through the webhook's decoding and
// FromAlert: it never panics, and every alert it maps is one Validate can
// judge, with a bounded ID, title and labels.
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"version":"4","alerts":[{"status":"firing","fingerprint":"a1","startsAt":"2026-12-04T10:00:00Z","labels":{"app":"checkout","env":"prod"}}]}`))
	f.Add([]byte(`{"version":"4","alerts":[{"status":"resolved","fingerprint":"a1","startsAt":"2026-12-04T10:00:00Z","endsAt":"2026-12-04T09:00:00Z","labels":{"service":"x","environment":"y"},"annotations":{"summary":"\u00ff\u00fe"}}]}`))
	f.Add([]byte(`{"alerts":[{}]}`))
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var hook incident.Webhook
		if json.Unmarshal(body, &hook) != nil {
			return
		}
		for _, a := range hook.Alerts {
			req, err := incident.FromAlert(a, incident.DefaultLabels)
			if err != nil {
				if !errors.Is(err, incident.ErrInvalid) {
					t.Fatalf("FromAlert error %v is not ErrInvalid", err)
				}
				continue
			}
			if len(req.ID) > incident.MaxID || utf8.RuneCountInString(req.Title) > incident.MaxTitle || !utf8.ValidString(req.Title) {
				t.Fatalf("unbounded request: id %d bytes, title %q", len(req.ID), req.Title)
			}
			_ = incident.Validate(req, incident.Known{Application: true, Environment: true}, now)
			if len(incident.CapLabels(req.Labels)) > incident.MaxLabels {
				t.Fatal("CapLabels kept too many labels")
			}
		}
	})
}
