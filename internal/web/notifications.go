package web

import (
	"net/http"

	"github.com/gennaker/gennaker/internal/notify"
)

// notificationsPage lists the notifications and how their deliveries fare.
type notificationsPage struct {
	Notifications []notify.Status
}

// notifications renders /notifications: each notification's target, its
// pending, failing, sent and dead deliveries, and the newest error, so a
// failing target shows without failing any deploy.
func (h *ui) notifications(w http.ResponseWriter, r *http.Request) {
	list, err := notify.ReadStatuses(r.Context(), h.cfg.Store)
	if err != nil {
		h.fail(w, r, err, "Notifications")
		return
	}
	h.render(w, r, http.StatusOK, "notifications.html", page{Title: "Notifications", Nav: "notifications", Data: notificationsPage{Notifications: list}})
}
