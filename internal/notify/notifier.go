package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Config configures a Notifier.
type Config struct {
	Store   store.Store
	Targets *Targets
	// BaseURL is how people reach the UI, for links (no trailing slash).
	BaseURL string
	Logger  *slog.Logger
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Poll is how often the event log and the outbox are read (default 1 s).
	Poll time.Duration
	// ClaimTTL is how long a claimed delivery is a worker's before another
	// may take it over (default 2 min); a send never takes longer than
	// SendTimeout (default 10 s).
	ClaimTTL, SendTimeout time.Duration
	// MaxAttempts before a delivery is dead (default DefaultMaxAttempts).
	MaxAttempts int
	// Batch bounds the events read and the deliveries claimed at once (default 100 and 10).
	Batch int
	// Keep is how long sent and dead deliveries are kept (default 7 days).
	Keep time.Duration
	// KPI makes the reports of the weekly KPI digests; nil: no digests
	// are planned (notifications that name kpi_digest get none).
	KPI KPIReports
	// DigestAt is when the weekly digest is due; nil: DefaultDigestSchedule
	// (Monday 09:00 UTC).
	DigestAt *DigestSchedule
}

// Notifier runs the dispatcher and the delivery worker of one server.
type Notifier struct {
	cfg      Config
	log      *slog.Logger
	claimant string

	mu     sync.Mutex
	digest digestState
}

// digestState is what this process knows of the weekly digest: when it
// last looked, and which notifications it planned the digest of slot for.
type digestState struct {
	looked, slot time.Time
	planned      map[string]bool
}

// New returns a Notifier; Run starts it.
func New(cfg Config) *Notifier {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = 2 * time.Minute
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 7 * 24 * time.Hour
	}
	if cfg.Targets == nil {
		cfg.Targets = &Targets{}
	}
	if cfg.DigestAt == nil {
		cfg.DigestAt = &DefaultDigestSchedule
	}
	host, _ := os.Hostname()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &Notifier{cfg: cfg, log: cfg.Logger, claimant: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))}
}

// Run dispatches and delivers until ctx ends. Errors are logged and the
// next poll tries again: notifications never stop the server.
func (n *Notifier) Run(ctx context.Context) {
	t := time.NewTicker(n.cfg.Poll)
	defer t.Stop()
	var pruned time.Time
	for {
		if now := n.cfg.Now(); now.Sub(pruned) >= time.Hour {
			pruned = now
			if _, err := n.cfg.Store.DeliveryDeleteBefore(ctx, now.Add(-n.cfg.Keep)); err != nil && ctx.Err() == nil {
				n.log.Warn("notifications: deleting old deliveries", "err", err)
			}
		}
		if _, err := n.Dispatch(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("notifications: reading the event log", "err", err)
		}
		if _, err := n.Digest(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("notifications: planning the weekly KPI digest", "err", err)
		}
		if _, err := n.Deliver(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("notifications: delivering", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Dispatch turns the events after the cursor into deliveries, in one
// transaction with the cursor's move, and returns how many it inserted.
// The first run starts at the newest event: history is not announced.
func (n *Notifier) Dispatch(ctx context.Context) (int, error) {
	st := n.cfg.Store
	after, ok, err := st.NotifyCursor(ctx)
	if err != nil {
		return 0, err
	}
	if !ok {
		last, err := st.EventList(ctx, store.EventListParams{Newest: true, Limit: 1})
		if err != nil {
			return 0, err
		}
		var at int64
		if len(last) > 0 {
			at = last[0].ID
		}
		_, err = st.NotifyDispatch(ctx, store.NotifyDispatchParams{From: -1, To: at})
		if errors.Is(err, store.ErrConflict) {
			err = nil // another replica started it
		}
		return 0, err
	}
	events, err := st.EventList(ctx, store.EventListParams{AfterID: after, Limit: n.cfg.Batch})
	if err != nil || len(events) == 0 {
		return 0, err
	}
	notes, err := st.NotificationList(ctx)
	if err != nil {
		return 0, err
	}
	var pipelines map[string]string
	if len(notes) > 0 {
		if pipelines, err = n.pipelines(ctx, events); err != nil {
			return 0, err
		}
	}
	var alertTargets map[string][]string
	if len(notes) > 0 {
		if alertTargets, err = n.alertTargets(ctx, events); err != nil {
			return 0, err
		}
	}
	planned := Plan(events, notes, pipelines, alertTargets)
	now := n.cfg.Now()
	for i := range planned {
		planned[i].NextAt = now
	}
	inserted, err := st.NotifyDispatch(ctx, store.NotifyDispatchParams{From: after, To: events[len(events)-1].ID, Deliveries: planned})
	if errors.Is(err, store.ErrConflict) {
		return 0, nil // another replica dispatched these events
	}
	return inserted, err
}

// pipelines maps the executions of events to their pipelines.
func (n *Notifier) pipelines(ctx context.Context, events []model.Event) (map[string]string, error) {
	out := map[string]string{}
	for _, ev := range events {
		if _, seen := out[ev.ExecutionID]; seen || ev.ExecutionID == "" {
			continue
		}
		exec, err := n.cfg.Store.ExecutionGet(ctx, ev.ExecutionID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			out[ev.ExecutionID] = "" // deleted with its application
		case err != nil:
			return nil, err
		default:
			out[ev.ExecutionID] = exec.Pipeline
		}
	}
	return out, nil
}

// Deliver claims the due deliveries, sends them in parallel, and records
// each outcome; it returns how many it claimed.
func (n *Notifier) Deliver(ctx context.Context) (int, error) {
	now := n.cfg.Now()
	claimed, err := n.cfg.Store.DeliveryClaim(ctx, store.DeliveryClaimParams{
		Claimant: n.claimant, Now: now, Until: now.Add(n.cfg.ClaimTTL), Limit: 10,
	})
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, d := range claimed {
		wg.Go(func() { n.deliver(ctx, d) })
	}
	wg.Wait()
	return len(claimed), nil
}

// deliver sends one claimed delivery and records the attempt.
func (n *Notifier) deliver(ctx context.Context, d store.Delivery) {
	err := n.send(ctx, d)
	now := n.cfg.Now()
	status, next := Outcome(d.Attempts, n.cfg.MaxAttempts, err, now)
	if ctx.Err() != nil {
		// Shutting down mid-send: the claim is given back at once (not
		// left to expire), due now, for this server's next start or
		// another replica; the receiver may see the same ID again.
		status, next, err = store.DeliveryPending, now, errors.New("interrupted: the server shut down while sending")
	}
	msg := ""
	if err != nil {
		msg = err.Error()
		n.log.Warn("notification not delivered", "notification", d.Notification, "delivery", d.ID,
			"attempt", d.Attempts, "status", status, "err", msg)
	}
	err = n.cfg.Store.DeliveryFinish(context.WithoutCancel(ctx), store.DeliveryFinishParams{
		ID: d.ID, Claimant: n.claimant, Status: status, NextAt: next, Error: msg, At: now,
	})
	if err != nil {
		n.log.Warn("notifications: recording a delivery", "delivery", d.ID, "err", err)
	}
}

func (n *Notifier) send(ctx context.Context, d store.Delivery) error {
	note, err := n.cfg.Store.NotificationGet(ctx, d.Notification)
	if errors.Is(err, store.ErrNotFound) {
		return permanent(fmt.Errorf("the Notification %s no longer exists", d.Notification))
	}
	if err != nil {
		return err
	}
	target, err := n.cfg.Targets.For(*note)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.SendTimeout)
	defer cancel()
	if d.Event.Kind == DigestKind {
		m, err := n.composeDigest(ctx, d, *note)
		if err != nil || m == nil {
			return err
		}
		return target.Send(ctx, *m)
	}
	return target.Send(ctx, Compose(d, n.cfg.BaseURL))
}

// SendTest sends a test message through notification note's target now,
// outside the outbox (`POST /api/v1/notifications/{name}/test`).
func (n *Notifier) SendTest(ctx context.Context, note model.Notification, actor string) error {
	target, err := n.cfg.Targets.For(note)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.SendTimeout)
	defer cancel()
	var b [8]byte
	_, _ = rand.Read(b[:])
	m := Message{
		ID: "test-" + hex.EncodeToString(b[:]), Event: model.NotifyExecutionSucceeded, Notification: note.Name,
		Summary: "test message from gennaker (sent by " + actor + ")", Status: string(model.ExecutionSucceeded),
		Pipeline: "test", Execution: "test", URL: n.cfg.BaseURL, Time: n.cfg.Now().UTC(),
	}
	return target.Send(ctx, m)
}

// alertTargets maps "SLO/alert" to the notifications the alert names, for
// the SLOs of the batch's slo_alert events (nil when there are none).
func (n *Notifier) alertTargets(ctx context.Context, events []model.Event) (map[string][]string, error) {
	if !slices.ContainsFunc(events, func(e model.Event) bool {
		return e.Kind == model.EventSLOAlertFiring || e.Kind == model.EventSLOAlertResolved
	}) {
		return nil, nil
	}
	slos, err := n.cfg.Store.SLOList(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, s := range slos {
		for _, a := range s.Alerts {
			if len(a.Notify) > 0 {
				out[s.Name+"/"+a.Name] = a.Notify
			}
		}
	}
	return out, nil
}
