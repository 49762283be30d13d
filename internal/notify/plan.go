package notify

import (
	"errors"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Plan is the deliveries a batch of events makes: one per event and
// notification that wants it. pipelines maps an execution's ID to its
// pipeline's name (selectors by pipeline, and the messages, read it).
// alertTargets maps "SLO/alert" to the notifications its burn-rate alert
// names (OpenSLO AlertNotificationTargets): an slo_alert event of such an
// alert goes only to those; an alert naming none goes to every
// notification that wants slo_alert.
func Plan(events []model.Event, notes []model.Notification, pipelines map[string]string, alertTargets map[string][]string) []store.Delivery {
	var out []store.Delivery
	for _, ev := range events {
		kind, ok := Classify(ev)
		if !ok {
			continue
		}
		pipeline := pipelines[ev.ExecutionID]
		for _, n := range notes {
			if !n.Wants(kind, ev.Application, pipeline, ev.Environment) || !Says(n.TargetType(), kind) {
				continue
			}
			if to := alertTargets[ev.Ref+"/"+ev.Action]; kind == model.NotifySLOAlert && len(to) > 0 && !slices.Contains(to, n.Name) {
				continue
			}
			out = append(out, store.Delivery{
				ID: DeliveryID(ev.ID, n.Name), Notification: n.Name, EventID: ev.ID, Pipeline: pipeline, Event: ev,
			})
		}
	}
	return out
}

// Says reports whether a target of type t has something to say about
// event kind: CDEvents have no words for some of gennaker's events.
func Says(t model.NotifyTargetType, kind model.NotifyEvent) bool {
	if t == model.TargetCDEvents {
		_, ok := CDEventType(kind)
		return ok
	}
	return t != ""
}

// Retry policy of deliveries.
const (
	// DefaultMaxAttempts is how many times a delivery is tried before it is dead.
	DefaultMaxAttempts = 10
	firstBackoff       = 10 * time.Second
	maxBackoff         = 15 * time.Minute
)

// Backoff is the wait after failed attempt number attempt (1 is the
// first): 10 s, doubling, at most 15 min; ten attempts span about 50 min.
func Backoff(attempt int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// Outcome decides how an attempt ends: sent, retried after its backoff,
// or dead when the error is permanent or the attempts are used up.
func Outcome(attempt, maxAttempts int, err error, now time.Time) (store.DeliveryStatus, time.Time) {
	switch {
	case err == nil:
		return store.DeliverySent, now
	case errors.Is(err, ErrPermanent), attempt >= maxAttempts:
		return store.DeliveryDead, now
	}
	return store.DeliveryPending, now.Add(Backoff(attempt))
}
