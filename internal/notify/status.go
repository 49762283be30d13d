package notify

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Status is how one notification's deliveries fare (GET
// /api/v1/notifications, `gennaker notifications status`, the UI).
type Status struct {
	Name   string                 `json:"name"`
	Target model.NotifyTargetType `json:"target"`
	// On lists the events it sends (empty: every event).
	On      []model.NotifyEvent `json:"on,omitempty"`
	Pending int                 `json:"pending"`
	// Failing counts pending deliveries whose last attempt failed.
	Failing     int        `json:"failing"`
	Sent        int        `json:"sent"`
	Dead        int        `json:"dead"`
	LastSent    *time.Time `json:"lastSent,omitempty"`
	LastError   string     `json:"lastError,omitempty"`
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
	// Health sums it up: ok, failing (retrying), dead (messages were lost)
	// or idle (nothing sent yet).
	Health string `json:"health"`
}

// Health values of a Status.
const (
	// HealthOK: the last deliveries went out.
	HealthOK = "ok"
	// HealthFailing: some deliveries failed and are being retried.
	HealthFailing = "failing"
	// HealthDead: some deliveries were given up on; the newest error says why.
	HealthDead = "dead"
	// HealthIdle: nothing was sent yet.
	HealthIdle = "idle"
)

// StatusReader reads what a Status is made of.
type StatusReader interface {
	NotificationList(ctx context.Context) ([]model.Notification, error)
	NotifyStats(ctx context.Context) ([]store.NotifyStats, error)
}

// ReadStatuses reads every notification's status (the API and the UI
// show the same).
func ReadStatuses(ctx context.Context, r StatusReader) ([]Status, error) {
	notes, err := r.NotificationList(ctx)
	if err != nil {
		return nil, err
	}
	stats, err := r.NotifyStats(ctx)
	if err != nil {
		return nil, err
	}
	return Statuses(notes, stats), nil
}

// Statuses joins the notifications with their delivery stats, by name.
func Statuses(notes []model.Notification, stats []store.NotifyStats) []Status {
	by := map[string]store.NotifyStats{}
	for _, s := range stats {
		by[s.Notification] = s
	}
	out := make([]Status, 0, len(notes))
	for _, n := range notes {
		s := by[n.Name]
		st := Status{Name: n.Name, Target: n.TargetType(), On: n.On, Pending: s.Pending, Failing: s.Failing, Sent: s.Sent,
			Dead: s.Dead, LastSent: s.LastSent, LastError: s.LastError, LastErrorAt: s.LastErrorAt}
		switch {
		case s.Failing > 0:
			st.Health = HealthFailing
		case s.Dead > 0 && (s.LastSent == nil || (s.LastErrorAt != nil && s.LastErrorAt.After(*s.LastSent))):
			st.Health = HealthDead
		case s.Sent > 0:
			st.Health = HealthOK
		default:
			st.Health = HealthIdle
		}
		out = append(out, st)
	}
	return out
}
