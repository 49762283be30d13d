package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/notify"
)

// NotificationTester sends a test message through a notification's target.
type NotificationTester interface {
	SendTest(ctx context.Context, n model.Notification, actor string) error
}

// listNotifications answers each notification with how its deliveries fare.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	statuses, err := notify.ReadStatuses(r.Context(), s.cfg.Store)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, statuses)
}

// testNotification sends a test message through the named notification's
// target now, and answers whether the target took it.
func (s *Server) testNotification(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	e := s.entry(r, model.AuditNotificationTest, "notification/"+name, "")
	var body struct{}
	if err := decodeBody(w, r, &body, maxActionBody); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	if s.cfg.Notifier == nil {
		s.failAction(w, r, e, fmt.Errorf("%w: this server sends no notifications", errNotImplemented))
		return
	}
	n, err := s.cfg.Store.NotificationGet(r.Context(), name)
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	if err := s.cfg.Notifier.SendTest(r.Context(), *n, principal(r).Actor()); err != nil {
		if errors.Is(err, context.Canceled) {
			s.failAction(w, r, e, err)
			return
		}
		s.failAction(w, r, e, fmt.Errorf("%w: the %s target of notification %s did not take the test message: %v", errTargetFailed, n.TargetType(), name, err))
		return
	}
	s.cfg.Audit.Record(r.Context(), *e, model.AuditOK, nil)
	writeJSON(w, http.StatusOK, map[string]string{"status": "sent"})
}
