package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// The weekly KPI digest (docs/notifications.md, "Weekly KPI digest") rides
// the outbox like every message: when the week's slot has come, a notifier
// inserts one delivery per notification that names kpi_digest, under an
// ID made of the ISO week and the notification's name, in a transaction
// that holds the outbox cursor's row (NotifyDispatch from the cursor to
// itself). Replicas and restarts insert the same IDs again as no-ops, so
// each notification gets one digest a week; the report is read when the
// delivery is sent.

// DigestKind marks a delivery as a KPI digest (the kind of its Event, which
// is no event of the log: its ID is 0 and its Time the slot).
const DigestKind model.EventKind = "kpi_digest"

// KPIReports makes the reports digests summarize; kpi.Reporter satisfies it.
type KPIReports interface {
	Report(ctx context.Context, q kpi.Query) (*kpi.Report, error)
}

var _ KPIReports = (*kpi.Reporter)(nil)

// DigestSchedule is when the weekly digest is due: a weekday and a time of
// day, UTC.
type DigestSchedule struct {
	Weekday      time.Weekday
	Hour, Minute int
}

// DefaultDigestSchedule is Monday 09:00 UTC.
var DefaultDigestSchedule = DigestSchedule{Weekday: time.Monday, Hour: 9}

// DigestGrace is how late a digest may still go out: a server that was
// down at the slot sends it when it is back within this time; later, that
// week's digest is skipped. It is kept under the outbox's retention (a
// sent delivery must outlive the window in which it could be planned again).
const DigestGrace = 24 * time.Hour

// ParseDigestSchedule reads a schedule such as "mon 09:00" or "Friday
// 16:30": a weekday (its name or first three letters, any case) and HH:MM
// in UTC.
func ParseDigestSchedule(s string) (DigestSchedule, error) {
	day, hm, ok := strings.Cut(strings.TrimSpace(s), " ")
	bad := fmt.Errorf("%q is not a weekly time: write a weekday and HH:MM in UTC, such as \"mon 09:00\"", s)
	if !ok {
		return DigestSchedule{}, bad
	}
	var out DigestSchedule
	found := false
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		name := strings.ToLower(wd.String())
		if d := strings.ToLower(day); d == name || d == name[:3] {
			out.Weekday, found = wd, true
		}
	}
	t, err := time.Parse("15:04", strings.TrimSpace(hm))
	if !found || err != nil {
		return DigestSchedule{}, bad
	}
	out.Hour, out.Minute = t.Hour(), t.Minute()
	return out, nil
}

func (s DigestSchedule) String() string {
	return fmt.Sprintf("%s %02d:%02d UTC", s.Weekday.String()[:3], s.Hour, s.Minute)
}

// Slot is the newest time at or before now that the digest was due.
func (s DigestSchedule) Slot(now time.Time) time.Time {
	now = now.UTC()
	day := kpi.Day(now)
	back := (int(day.Weekday()) - int(s.Weekday) + 7) % 7
	slot := day.AddDate(0, 0, -back).Add(time.Duration(s.Hour)*time.Hour + time.Duration(s.Minute)*time.Minute)
	if slot.After(now) {
		slot = slot.AddDate(0, 0, -7)
	}
	return slot
}

// DigestRecheck is how often, in the grace period after a slot, a
// notifier looks for notifications applied since that have not had the
// week's digest.
const DigestRecheck = time.Minute

// DigestDue decides whether to look for digests to plan now: the newest
// slot came less than grace ago, and this process has not looked since it
// came (looked is when it last looked; zero: never) or looked at least
// every ago.
func DigestDue(s DigestSchedule, looked, now time.Time, grace, every time.Duration) (slot time.Time, due bool) {
	slot = s.Slot(now)
	if now.Sub(slot) >= grace {
		return slot, false
	}
	return slot, looked.Before(slot) || now.Sub(looked) >= every
}

// DigestWeek names the ISO week of a slot, such as "2026-W49": a
// notification gets one digest per week, whatever the schedule says.
func DigestWeek(slot time.Time) string {
	y, w := slot.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// DigestID is the delivery ID of notification's digest of week.
func DigestID(week, notification string) string {
	sum := sha256.Sum256([]byte(string(DigestKind) + "/" + week + "/" + notification))
	return hex.EncodeToString(sum[:16])
}

// PlanDigests is the deliveries of the digest at slot: one per
// notification that names kpi_digest and whose target can say it
// (CDEvents has no type for it).
func PlanDigests(slot time.Time, notes []model.Notification) []store.Delivery {
	var out []store.Delivery
	week := DigestWeek(slot)
	for _, n := range notes {
		if !slices.Contains(n.On, model.NotifyKPIDigest) || !Says(n.TargetType(), model.NotifyKPIDigest) {
			continue
		}
		out = append(out, store.Delivery{
			ID: DigestID(week, n.Name), Notification: n.Name,
			Event: model.Event{Kind: DigestKind, Time: slot.UTC(), Detail: week},
		})
	}
	return out
}

// DigestQuery is the report a digest at slot summarizes for note: the 7
// whole UTC days before the slot's day, by day, over note's applications
// (all when it names none) and its environment when it names exactly one
// (otherwise every production environment). Its Previous is the 7 days before.
func DigestQuery(slot time.Time, note model.Notification) kpi.Query {
	to := kpi.Day(slot)
	q := kpi.Query{From: to.AddDate(0, 0, -7), To: to, By: kpi.BucketDay}
	switch apps := slices.Clone(note.Applications); len(apps) {
	case 0:
	case 1:
		q.Application = apps[0]
	default:
		q.Readable = func(app string) bool { return slices.Contains(apps, app) }
	}
	if len(note.Environments) == 1 {
		q.Environment = note.Environments[0]
	}
	return q
}

// Digest is what a KPI digest says: the period, its scope, and one line
// per KPI (the webhook's JSON carries it as "digest").
type Digest struct {
	// From and To are the period (To exclusive); the trend compares it
	// with the period of the same length before.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Applications is the scope; empty means every application.
	Applications []string    `json:"applications,omitempty"`
	Environment  string      `json:"environment,omitempty"`
	KPIs         []DigestKPI `json:"kpis"`
}

// DigestKPI is one line of a digest.
type DigestKPI struct {
	// Name is deploys, leadTimeMedian, changeFailureRate, recoveryTimeMedian
	// or stepsPerDeploy; Unit says how to read Value and Previous: count,
	// seconds, fraction or steps. A KPI with no data has no value.
	Name     string   `json:"name"`
	Label    string   `json:"label"`
	Unit     string   `json:"unit"`
	Value    *float64 `json:"value"`
	Previous *float64 `json:"previous"`
	Band     kpi.Band `json:"band,omitempty"`
	// Text is the line as people read it: "Deploys: 12, high (before: 8; +50%, better)".
	Text string `json:"text"`
}

// ComposeDigest builds the message of digest delivery d from the report
// of DigestQuery; baseURL is how people reach the UI.
func ComposeDigest(d store.Delivery, note model.Notification, r *kpi.Report, baseURL string) Message {
	q := r.Query
	dg := &Digest{From: q.From, To: q.To, Applications: note.Applications, Environment: q.Environment}
	s, p, b := r.Summary, r.Previous, r.Bands
	count := func(n int) *float64 { v := float64(n); return &v }
	add := func(name, label, unit string, v, prev *float64, band kpi.Band, higherBetter bool, format func(float64) string) {
		text := label + ": " + kpi.Opt(v, format)
		if band != "" {
			text += ", " + string(band)
		}
		text += " (before: " + kpi.Opt(prev, format) + "; " + kpi.Trend(v, prev, higherBetter) + ")"
		dg.KPIs = append(dg.KPIs, DigestKPI{Name: name, Label: label, Unit: unit, Value: v, Previous: prev, Band: band, Text: text})
	}
	add("deploys", "Deploys", "count", count(s.Deploys), count(p.Deploys), b.DeploymentFrequency, true, kpi.FormatNumber)
	add("leadTimeMedian", "Lead time, median", "seconds", s.LeadTime.Median, p.LeadTime.Median, b.LeadTime, false, kpi.FormatSeconds)
	add("changeFailureRate", "Change failure rate", "fraction", s.ChangeFailureRate, p.ChangeFailureRate, b.ChangeFailureRate, false, kpi.FormatPercent)
	add("recoveryTimeMedian", "Recovery time, median", "seconds", s.Recovery.Median, p.Recovery.Median, b.RecoveryTime, false, kpi.FormatSeconds)
	add("stepsPerDeploy", "Manual steps per deploy", "steps", s.StepsPerDeploy, p.StepsPerDeploy, "", false, kpi.FormatNumber)

	scope := "every application"
	if len(note.Applications) > 0 {
		scope = strings.Join(note.Applications, ", ")
	}
	if q.Environment != "" {
		scope += " in " + q.Environment
	}
	m := Message{
		ID: d.ID, Event: model.NotifyKPIDigest, Notification: d.Notification, Environment: q.Environment,
		Summary: fmt.Sprintf("KPI digest of %s, %s to %s", scope, q.From.Format(time.DateOnly), q.To.AddDate(0, 0, -1).Format(time.DateOnly)),
		Time:    d.Event.Time.UTC(), Digest: dg,
	}
	if len(note.Applications) == 1 {
		m.Application = note.Applications[0]
	}
	if baseURL != "" {
		link := q
		link.By = kpi.BucketDay
		m.URL = baseURL + "/kpi?" + link.Values().Encode()
	}
	return m
}

// Lines is a digest's lines as text, or nil for other messages.
func (m Message) Lines() []string {
	if m.Digest == nil {
		return nil
	}
	out := make([]string, len(m.Digest.KPIs))
	for i, k := range m.Digest.KPIs {
		out[i] = k.Text
	}
	return out
}

// digestGrace is DigestGrace, kept under half the outbox's retention.
func (n *Notifier) digestGrace() time.Duration { return min(DigestGrace, n.cfg.Keep/2) }

// Digest plans the weekly KPI digest when its slot has come (DigestDue):
// one delivery per notification that names kpi_digest and has not had this
// week's yet, inserted under the outbox cursor's lock without moving it.
// It returns how many it inserted: 0 when another replica, or this server
// before a restart, did already.
func (n *Notifier) Digest(ctx context.Context) (int, error) {
	if n.cfg.KPI == nil {
		return 0, nil
	}
	now := n.cfg.Now()
	n.mu.Lock()
	looked := n.digest.looked
	n.mu.Unlock()
	slot, due := DigestDue(*n.cfg.DigestAt, looked, now, n.digestGrace(), DigestRecheck)
	if !due {
		return 0, nil
	}
	st := n.cfg.Store
	notes, err := st.NotificationList(ctx)
	if err != nil {
		return 0, err
	}
	var deliveries []store.Delivery
	n.mu.Lock()
	for _, d := range PlanDigests(slot, notes) {
		if !n.digest.slot.Equal(slot) || !n.digest.planned[d.Notification] {
			deliveries = append(deliveries, d)
		}
	}
	n.mu.Unlock()
	inserted := 0
	if len(deliveries) > 0 {
		at, ok, err := st.NotifyCursor(ctx)
		if err != nil || !ok {
			return 0, err // !ok: the first Dispatch starts the cursor
		}
		for i := range deliveries {
			deliveries[i].NextAt = now
		}
		inserted, err = st.NotifyDispatch(ctx, store.NotifyDispatchParams{From: at, To: at, Deliveries: deliveries})
		if errors.Is(err, store.ErrConflict) {
			return 0, nil // the cursor moved meanwhile: the next poll tries again
		}
		if err != nil {
			return 0, err
		}
	}
	n.mu.Lock()
	if !n.digest.slot.Equal(slot) {
		n.digest.slot, n.digest.planned = slot, map[string]bool{}
	}
	for _, d := range deliveries {
		n.digest.planned[d.Notification] = true
	}
	n.digest.looked = now
	n.mu.Unlock()
	if inserted > 0 {
		n.log.Info("notifications: weekly KPI digest planned", "week", DigestWeek(slot), "deliveries", inserted)
	}
	return inserted, nil
}

// composeDigest reads the report of digest delivery d and builds its
// message; nil when note's target has nothing to say about a digest.
func (n *Notifier) composeDigest(ctx context.Context, d store.Delivery, note model.Notification) (*Message, error) {
	if !Says(note.TargetType(), model.NotifyKPIDigest) {
		return nil, nil // the target changed to one that cannot say it
	}
	if n.cfg.KPI == nil {
		return nil, errors.New("this server makes no KPI reports: the digest waits for one that does")
	}
	r, err := n.cfg.KPI.Report(ctx, DigestQuery(d.Event.Time, note))
	if err != nil {
		return nil, fmt.Errorf("reading the KPI report of the digest: %w", err)
	}
	m := ComposeDigest(d, note, r, n.cfg.BaseURL)
	return &m, nil
}
