package kpi

import (
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// Who was active when is held like the rollups: by application and month,
// each month folded into its distinct actors once a report covers it
// whole, so counting a year's active users is a few thousand short lists,
// not a scan of the table.

// actorMonth is who was active in one application in one month, as the
// Reporter's numbers of the actors. It is not changed once made.
type actorMonth struct {
	month
	app   int32
	days  [31][]int32 // by day of the month
	whole []int32     // the month's actors, distinct; nil until asked for
}

func newActorMonth(day time.Time, app int32) *actorMonth {
	return &actorMonth{month: monthAt(day), app: app}
}

func (m *actorMonth) when() month { return m.month }

// with is m with actor active on day (not folded).
func (m *actorMonth) with(day time.Time, actor int32) *actorMonth {
	n := *m
	d := day.Day() - 1
	n.days[d] = append(m.days[d][:len(m.days[d]):len(m.days[d])], actor) // a copy: m stays as it was
	n.whole = nil
	return &n
}

// folded is m with its distinct actors listed (m when they are).
func (m *actorMonth) folded() *actorMonth {
	if m.whole != nil {
		return m
	}
	var all []int32
	for _, d := range m.days {
		all = append(all, d...)
	}
	slices.Sort(all)
	n := *m
	n.whole = slices.Compact(all)
	if n.whole == nil {
		n.whole = []int32{}
	}
	return &n
}

// mark sets seen[a] for every actor a active in m on the days of [from, to).
func (m *actorMonth) mark(seen []bool, from, to time.Time) {
	if !m.overlaps(from, to) {
		return
	}
	if m.whole != nil && m.inside(from, to) {
		for _, a := range m.whole {
			seen[a] = true
		}
		return
	}
	for i, d := range m.days {
		if day := m.start.AddDate(0, 0, i); !day.Before(from) && day.Before(to) {
			for _, a := range d {
				seen[a] = true
			}
		}
	}
}

// holdActors notes rows in the cache (those of days before from are only
// noted as seen; advance moves r.actorSeen to their newest event). A row
// held already changes nothing. r.mu held.
func (r *Reporter) holdActors(rows []store.KPIActor, from time.Time, advance bool) {
	if r.actorIDs == nil {
		r.actorIDs = map[string]int32{}
	}
	for _, row := range rows {
		if advance {
			r.actorSeen = max(r.actorSeen, row.Event)
		}
		if row.Day.Before(from) {
			continue
		}
		id, ok := r.actorIDs[row.Actor]
		if !ok {
			id = int32(len(r.actorIDs))
			r.actorIDs[row.Actor] = id
		}
		app := r.id(row.Application)
		k := monthKey{app: app, env: -1, month: monthOf(row.Day)}
		m := r.actors[k]
		if m == nil {
			m = newActorMonth(row.Day, app)
		}
		if !slices.Contains(m.days[row.Day.Day()-1], id) {
			r.actors[k] = m.with(row.Day, id)
		}
	}
}

// activeUsers counts the distinct actors of the applications in scope
// active in [from, to) (of n actors numbered).
func activeUsers(months []*actorMonth, n int, in scopeIndex, from, to time.Time) int {
	seen := make([]bool, n)
	for _, m := range months {
		if in.every || in.app[m.app] {
			m.mark(seen, from, to)
		}
	}
	count := 0
	for _, s := range seen {
		if s {
			count++
		}
	}
	return count
}
