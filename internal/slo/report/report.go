// Package report reads what people see of SLOs, for the API, the CLI (via
// the API) and the UI: each SLO with its latest status, an SLO's points
// over its window with the deploys in it and the budget each burned, and
// SLA months. It reads the store (and, for exact counts over arbitrary
// intervals, the evaluator's SLI sources); the decisions are package slo's
// pure functions.
package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/store"
)

// Store is what the reports read: the applications (whose `slo:`
// shorthand makes SLOs), the evaluator's statuses and points, and the
// delivery events (deploys). A Store that also reads the config's resolved
// SLOs (store.SLOConfigQueries' SLOList) adds the OpenSLO ones.
type Store interface {
	ApplicationList(ctx context.Context, params store.ApplicationListParams) ([]model.Application, error)
	EnvironmentList(ctx context.Context) ([]model.Environment, error)
	SLOStatusList(ctx context.Context) ([]model.SLOStatus, error)
	SLOStatusGet(ctx context.Context, name string) (*model.SLOStatus, error)
	SLOPointList(ctx context.Context, params store.SLOPointListParams) ([]store.SLOPoint, error)
	EventList(ctx context.Context, params store.EventListParams) ([]model.Event, error)
}

// Limits of what one report reads.
const (
	// MaxDeploys is how many of the newest deploys an SLO's page marks.
	MaxDeploys = 200
	// MaxChartPoints is how many points a window's history is thinned to.
	MaxChartPoints = 720
	// MaxSLAMonthsBack is how far back an SLA month may be asked for.
	MaxSLAMonthsBack = 120
)

// Reader makes the reports.
type Reader struct {
	Store Store
	// Source counts an SLI over any interval (the evaluator's sources):
	// SLA months and the hour after each deploy are counted exactly with
	// it. Without it, SLA months cannot be counted (their reports say so)
	// and deploy burns are integrated from the stored points.
	Source slo.Source
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (r *Reader) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Summary is one SLO and its latest status (nil before its first
// evaluation).
type Summary struct {
	SLO    model.SLO        `json:"slo"`
	Status *model.SLOStatus `json:"status,omitempty"`
}

// SLOs returns every SLO of the config (OpenSLO ones and applications'
// shorthand ones, model.ConfigSLOs) whose application readable says yes
// to, by name.
func (r *Reader) SLOs(ctx context.Context, readable func(app string) bool) ([]model.SLO, error) {
	defined, err := r.defined(ctx)
	if err != nil {
		return nil, err
	}
	apps, err := r.Store.ApplicationList(ctx, store.ApplicationListParams{})
	if err != nil {
		return nil, fmt.Errorf("reading the applications: %w", err)
	}
	all := model.ConfigSLOs(apps, defined)
	out := all[:0]
	for _, s := range all {
		if readable == nil || readable(s.Application) {
			out = append(out, s)
		}
	}
	return out, nil
}

// definedSLOs reads the config's resolved SLOs.
type definedSLOs interface {
	SLOList(ctx context.Context) ([]model.SLO, error)
}

// defined returns the config's resolved SLOs, none when the store does
// not keep them.
func (r *Reader) defined(ctx context.Context) ([]model.SLO, error) {
	d, ok := r.Store.(definedSLOs)
	if !ok {
		return nil, nil
	}
	slos, err := d.SLOList(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the SLOs: %w", err)
	}
	return slos, nil
}

// Get returns the SLO of that name (store.ErrNotFound when there is none).
// It does not check who may read it: the caller checks its Application.
func (r *Reader) Get(ctx context.Context, name string) (*model.SLO, error) {
	all, err := r.SLOs(ctx, nil)
	if err != nil {
		return nil, err
	}
	i, ok := slices.BinarySearchFunc(all, name, func(s model.SLO, n string) int { return strings.Compare(s.Name, n) })
	if !ok {
		return nil, fmt.Errorf("%w: SLO %q does not exist: list them with `gennaker slo list`, or define it in an OpenSLO document or an application's slo:", store.ErrNotFound, name)
	}
	return &all[i], nil
}

// List returns the readable SLOs with their statuses.
func (r *Reader) List(ctx context.Context, readable func(app string) bool) ([]Summary, error) {
	slos, err := r.SLOs(ctx, readable)
	if err != nil {
		return nil, err
	}
	return r.withStatuses(ctx, slos)
}

// Detail is one SLO over its current window.
type Detail struct {
	SLO    model.SLO        `json:"slo"`
	Status *model.SLOStatus `json:"status,omitempty"`
	// WindowStart and WindowEnd bound the window shown (now's window).
	WindowStart time.Time `json:"windowStart"`
	WindowEnd   time.Time `json:"windowEnd"`
	// Points are the window's history, oldest first, thinned to at most
	// MaxChartPoints (the last point of each equal slice of the window).
	Points []store.SLOPoint `json:"points"`
	// Deploys are the deploys and rollbacks of the SLO's application in its
	// environments during the window (the newest MaxDeploys), oldest
	// first, with the budget each burned in the hour after it.
	Deploys []slo.DeployBurn `json:"deploys"`
}

// Detail reads an SLO's window: status, points and deploys with burn.
func (r *Reader) Detail(ctx context.Context, s model.SLO) (*Detail, error) {
	now := r.now()
	from, to, err := slo.WindowBounds(s.Window, now)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: window: %w", s.Name, err)
	}
	length, err := slo.WindowLength(s.Window, now)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: window: %w", s.Name, err)
	}
	d := &Detail{SLO: s, WindowStart: from, WindowEnd: to, Points: []store.SLOPoint{}, Deploys: []slo.DeployBurn{}}
	st, err := r.Store.SLOStatusGet(ctx, s.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("reading SLO %s's status: %w", s.Name, err)
	default:
		d.Status = st
	}
	pts, err := r.Store.SLOPointList(ctx, store.SLOPointListParams{SLO: s.Name, From: from, To: to.Add(time.Nanosecond)})
	if err != nil {
		return nil, fmt.Errorf("reading SLO %s's points: %w", s.Name, err)
	}
	d.Points = Thin(pts, from, to, MaxChartPoints)
	deploys, err := r.deploys(ctx, s, from)
	if err != nil {
		return nil, err
	}
	for i, dp := range deploys {
		var next time.Time
		for _, later := range deploys[i+1:] {
			if later.Environment == dp.Environment && later.Time.After(dp.Time) {
				next = later.Time
				break
			}
		}
		d.Deploys = append(d.Deploys, r.burn(ctx, s, d.Status, pts, dp, next, length, now))
	}
	return d, nil
}

// deploys reads the deploys of the SLO's application since from in the
// SLO's environment (every production one when it names none).
func (r *Reader) deploys(ctx context.Context, s model.SLO, from time.Time) ([]slo.Deploy, error) {
	evs, err := r.Store.EventList(ctx, store.EventListParams{Application: s.Application, Environment: s.Environment,
		Kinds: slo.DeployKinds, Since: from, Limit: 4 * MaxDeploys, Newest: true})
	if err != nil {
		return nil, fmt.Errorf("reading the deploys of %s: %w", s.Application, err)
	}
	if s.Environment == "" {
		envs, err := r.Store.EnvironmentList(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the environments: %w", err)
		}
		prod := map[string]bool{}
		for _, e := range envs {
			prod[e.Name] = e.Production
		}
		evs = slices.DeleteFunc(evs, func(e model.Event) bool { return !prod[e.Environment] })
	}
	ds := slo.Deploys(evs)
	ds = slices.DeleteFunc(ds, func(d slo.Deploy) bool { return d.Time.Before(from) })
	if len(ds) > MaxDeploys {
		ds = ds[len(ds)-MaxDeploys:]
	}
	return ds, nil
}

// burn is the budget a deploy burned in the hour after it, or until the
// next deploy or rollback in its environment (next) when that comes
// first, so a release is not charged with its successor's errors: counted
// by the SLI's source when there is one (its first objective, over the
// window's total events from the status), else integrated from the points.
func (r *Reader) burn(ctx context.Context, s model.SLO, st *model.SLOStatus, pts []store.SLOPoint, d slo.Deploy, next time.Time, window time.Duration, now time.Time) slo.DeployBurn {
	end := d.Time.Add(slo.DeployBurnWindow)
	if !next.IsZero() && next.Before(end) {
		end = next
	}
	b := slo.DeployBurn{Deploy: d, Partial: now.Before(end)}
	if b.Partial {
		end = now
	}
	b.Until = end
	if r.Source != nil && len(s.Objectives) > 0 {
		o := s.Objectives[0]
		c, err := r.Source.Counts(ctx, s, o, d.Time, end)
		if err == nil {
			var total float64
			if st != nil && len(st.Objectives) > 0 {
				total = st.Objectives[0].Total
			}
			b.Burned, b.BurnRate = slo.BurnFromHourCounts(o.Target, c, total, end.Sub(d.Time), window)
			b.Method = slo.BurnFromCounts
			return b
		}
	}
	b.Burned, b.BurnRate, _ = slo.BurnFromPointsRates(pts, d.Time, end, window)
	b.Method = slo.BurnFromPoints
	return b
}

// Thin keeps at most n points of [from, to): the last point of each of n
// equal slices of the interval (a burn-down's value at the slice's end).
func Thin(pts []store.SLOPoint, from, to time.Time, n int) []store.SLOPoint {
	if len(pts) <= n || n <= 0 || !to.After(from) {
		return pts
	}
	step := to.Sub(from) / time.Duration(n)
	if step <= 0 {
		return pts[len(pts)-n:]
	}
	out := make([]store.SLOPoint, 0, n)
	for i, p := range pts {
		last := i+1 == len(pts)
		if last || p.At.Sub(from)/step != pts[i+1].At.Sub(from)/step {
			out = append(out, p)
		}
	}
	return out
}

// SLA reports one SLO's month (YYYY-MM in the SLO window's time zone),
// counting each objective over the month with the SLI's source. A month
// that cannot be counted is a report whose Error says why.
func (r *Reader) SLA(ctx context.Context, s model.SLO, month string) (slo.SLAReport, error) {
	from, to, err := slo.MonthBounds(month, s.Window.TimeZone)
	if err != nil {
		return slo.SLAReport{}, err
	}
	now := r.now()
	if from.After(now) { // begun in UTC, not yet in the SLO's zone
		rep := slo.SLA(s, month, from, to, now, nil)
		rep.Met, rep.Error = false, fmt.Sprintf("month %s has not begun in %s", month, rep.TimeZone)
		return rep, nil
	}
	end := to
	if now.Before(end) {
		end = now
	}
	counts := make([]slo.Counts, len(s.Objectives))
	var problem string
	if r.Source == nil {
		problem = "this server counts no SLI over a month (no SLO evaluator runs)"
	} else {
		for i, o := range s.Objectives {
			c, err := r.Source.Counts(ctx, s, o, from, end)
			if err != nil {
				problem = fmt.Sprintf("counting objective %s over %s: %v", o.Name, month, err)
				break
			}
			counts[i] = c
		}
	}
	rep := slo.SLA(s, month, from, to, now, counts)
	if problem != "" {
		rep.Error = problem
		rep.Met = false
	}
	return rep, nil
}

// ParseMonth checks a month asked for (YYYY-MM), "" meaning the current
// one, in UTC: the reports then count each SLO's month in its own zone.
func ParseMonth(month string, now time.Time) (string, error) {
	if month == "" {
		return now.UTC().Format(slo.MonthLayout), nil
	}
	if len(month) != len(slo.MonthLayout) {
		return "", fmt.Errorf("month %q: write it as YYYY-MM, e.g. %s", truncate(month, 20), now.UTC().Format(slo.MonthLayout))
	}
	m, err := time.Parse(slo.MonthLayout, month)
	if err != nil {
		return "", fmt.Errorf("month %q: write it as YYYY-MM, e.g. %s", month, now.UTC().Format(slo.MonthLayout))
	}
	if m.After(now) {
		return "", fmt.Errorf("month %s has not begun", month)
	}
	if m.Before(now.AddDate(0, -MaxSLAMonthsBack, 0)) {
		return "", fmt.Errorf("month %s is more than %d months back", month, MaxSLAMonthsBack)
	}
	return month, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// withStatuses pairs each SLO with its latest status (nil before the first).
func (r *Reader) withStatuses(ctx context.Context, slos []model.SLO) ([]Summary, error) {
	sts, err := r.Store.SLOStatusList(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the SLOs' statuses: %w", err)
	}
	byName := make(map[string]*model.SLOStatus, len(sts))
	for i := range sts {
		byName[sts[i].Name] = &sts[i]
	}
	out := make([]Summary, 0, len(slos))
	for _, s := range slos {
		out = append(out, Summary{SLO: s, Status: byName[s.Name]})
	}
	return out, nil
}

// ForApps returns the SLOs of these applications with their statuses (for
// pages that already read the applications: two queries however many).
func (r *Reader) ForApps(ctx context.Context, apps []model.Application) ([]Summary, error) {
	if len(apps) == 0 {
		return nil, nil
	}
	defined, err := r.defined(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]bool, len(apps))
	for _, a := range apps {
		names[a.Name] = true
	}
	var slos []model.SLO
	for _, s := range model.ConfigSLOs(apps, defined) {
		if names[s.Application] {
			slos = append(slos, s)
		}
	}
	if len(slos) == 0 {
		return nil, nil
	}
	return r.withStatuses(ctx, slos)
}

// Points returns an SLO's points over its current window thinned to at
// most n (a sparkline's).
func (r *Reader) Points(ctx context.Context, s model.SLO, n int) ([]store.SLOPoint, error) {
	from, to, err := slo.WindowBounds(s.Window, r.now())
	if err != nil {
		return nil, fmt.Errorf("SLO %s: window: %w", s.Name, err)
	}
	pts, err := r.Store.SLOPointList(ctx, store.SLOPointListParams{SLO: s.Name, From: from, To: to.Add(time.Nanosecond)})
	if err != nil {
		return nil, fmt.Errorf("reading SLO %s's points: %w", s.Name, err)
	}
	return Thin(pts, from, to, n), nil
}

var _ Store = store.Store(nil)
