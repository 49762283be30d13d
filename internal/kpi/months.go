package kpi

import (
	"slices"
	"time"
)

// The reporter holds the rollups by lane (application and environment)
// and calendar month. A month that lies whole inside what a summary covers
// is summarized as one entry, its days folded together once: a year of
// every application is a few thousand entries, not a hundred thousand.

// monthKey names a lane's month.
type monthKey struct {
	app, env int32 // the Reporter's numbers of the names
	month    int32 // months since January of year 0
}

func monthOf(day time.Time) int32 { return int32(day.Year()*12 + int(day.Month()) - 1) }

// month is the calendar month [start, end) that holds a day.
type month struct{ start, end time.Time }

func monthAt(day time.Time) month {
	start := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	return month{start: start, end: start.AddDate(0, 1, 0)}
}

// inside reports whether the month lies whole in [from, to).
func (m month) inside(from, to time.Time) bool { return !m.start.Before(from) && !m.end.After(to) }

// overlaps reports whether the month has a day in [from, to).
func (m month) overlaps(from, to time.Time) bool { return m.end.After(from) && m.start.Before(to) }

// folding is what the reporter holds of a month (laneMonth, actorMonth).
type folding[M any] interface {
	when() month
	folded() M
}

// overlapping returns the months of held that overlap [from, to), each
// that lies whole inside one of spans folded (and kept folded in held).
func overlapping[M folding[M]](held map[monthKey]M, from, to time.Time, spans [][2]time.Time) []M {
	var out []M
	for k, m := range held {
		mo := m.when()
		if !mo.overlaps(from, to) {
			continue
		}
		for _, sp := range spans {
			if mo.inside(sp[0], sp[1]) {
				m = m.folded()
				held[k] = m
				break
			}
		}
		out = append(out, m)
	}
	return out
}

// laneMonth is what the reporter holds of a lane's month: its days'
// rollups, and, once a report asked for it, the month folded into one
// entry. It is not changed once made: a new rollup makes a new laneMonth,
// so reports keep reading the one they were given.
type laneMonth struct {
	month
	app, env int32         // the lane (the Reporter's numbers)
	days     [31]*dayEntry // by day of the month; nil: no rollup
	whole    *dayEntry     // the days folded together; nil until asked for
}

func newLaneMonth(day time.Time, app, env int32) *laneMonth {
	return &laneMonth{month: monthAt(day), app: app, env: env}
}

func (m *laneMonth) when() month { return m.month }

// with is m with e as its rollup of e's day (and not folded).
func (m *laneMonth) with(e *dayEntry) *laneMonth {
	n := *m
	n.days[e.day.Day()-1] = e
	n.whole = nil
	return &n
}

// inside reports whether the month lies whole in [from, to).
func (m *laneMonth) inside(from, to time.Time) bool {
	return !m.start.Before(from) && !m.end.After(to)
}

// appendIn appends what m holds of [from, to) to out: the folded month
// when it lies whole inside and was folded, its days in the span otherwise.
func (m *laneMonth) appendIn(out []*dayEntry, from, to time.Time) []*dayEntry {
	if !m.overlaps(from, to) {
		return out
	}
	if m.whole != nil && m.inside(from, to) {
		return append(out, m.whole)
	}
	return m.appendDays(out, from, to)
}

// appendDays appends m's rollups of the days in [from, to) to out.
func (m *laneMonth) appendDays(out []*dayEntry, from, to time.Time) []*dayEntry {
	for _, e := range m.days {
		if e != nil && !e.day.Before(from) && e.day.Before(to) {
			out = append(out, e)
		}
	}
	return out
}

// folded is m with its days folded into one entry (m itself when it
// already is, or holds no rollup).
func (m *laneMonth) folded() *laneMonth {
	if m.whole != nil {
		return m
	}
	var w *dayEntry
	nLead, nRec := 0, 0
	for _, e := range m.days {
		if e != nil {
			nLead, nRec = nLead+len(e.rec.Lead), nRec+len(e.rec.Recovery)
		}
	}
	for _, e := range m.days {
		if e == nil {
			continue
		}
		if w == nil {
			w = &dayEntry{App: e.App, Env: e.Env, app: e.app, env: e.env, day: m.start,
				dayN: int32(m.start.Unix() / (24 * 60 * 60)), span: int32(m.end.Sub(m.start) / (24 * time.Hour)),
				rec: &dayRec{Lead: make([]int64, 0, nLead), Recovery: make([]int64, 0, nRec)}}
		}
		w.deployDays |= e.deployDays << (e.dayN - w.dayN)
		w.rec.merge(e.rec)
	}
	if w == nil {
		return m
	}
	slices.Sort(w.rec.Lead)
	slices.Sort(w.rec.Recovery)
	n := *m
	n.whole = w
	return &n
}

// merge adds o's counts, changes and durations to r.
func (r *dayRec) merge(o *dayRec) {
	r.dayCounts.addCounts(&o.dayCounts)
	r.Changes = append(r.Changes, o.Changes...)
	r.Lead = append(r.Lead, o.Lead...)
	r.Recovery = append(r.Recovery, o.Recovery...)
}

// addCounts adds x's counts (not its changes) to c.
func (c *dayCounts) addCounts(x *dayCounts) {
	c.Attempts += x.Attempts
	c.Deploys += x.Deploys
	c.ChangeFailures += x.ChangeFailures
	c.FailedDeploys += x.FailedDeploys
	c.RolledBack += x.RolledBack
	c.IncidentCaused += x.IncidentCaused
	c.NoCommitTime += x.NoCommitTime
	c.Unrecovered += x.Unrecovered
	c.Rework += x.Rework
	c.ManualSteps += x.ManualSteps
	c.WaitUS += x.WaitUS
	c.OutOfBand += x.OutOfBand
	for i := range c.PartsUS {
		c.PartsUS[i] += x.PartsUS[i]
	}
}
