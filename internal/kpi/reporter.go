package kpi

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// maxOutOfBandListed bounds Adoption.OutOfBandChanges.
const maxOutOfBandListed = 50

// Reporter makes Reports from the rollups. It keeps the rollups it has
// read, decoded, and reads again only those changed since (each rollup
// carries the event that changed it last): a report is a summary in
// memory, not thousands of rows read and decoded.
type Reporter struct {
	st  store.Queries
	now func() time.Time

	mu        sync.Mutex
	from      time.Time // the first day held; zero: none
	seen      int64     // the newest change of a rollup held
	months    map[monthKey]*laneMonth
	ids       map[string]int32 // the numbers of application and environment names
	actorSeen int64            // the newest actor row held
	actors    map[monthKey]*actorMonth
	actorIDs  map[string]int32
}

// held is what a report reads of the Reporter's memory: never changed
// after entries returns it.
type held struct {
	months []*laneMonth     // the lanes' months that overlap the span asked for
	actors []*actorMonth    // the applications' months of actors likewise
	nActor int              // the actors numbered
	upTo   int64            // the newest change held
	ids    map[string]int32 // a copy of the names' numbers
}

// refreshBatch bounds the rollups read at once when catching up.
const refreshBatch = 5000

// NewReporter returns a Reporter over st.
func NewReporter(st store.Queries) *Reporter { return &Reporter{st: st, now: time.Now} }

// Warm reads the rollups of the default report's period and the one
// before it (what the KPI page and `gennaker kpi` ask for first), so the
// first report after a server starts is answered from memory too. The
// server calls it once, in the background, at start.
func (r *Reporter) Warm(ctx context.Context) error {
	to := Day(r.now()).AddDate(0, 0, 1)
	_, err := r.entries(ctx, to.Add(-2*DefaultSince), to, nil)
	return err
}

// Report summarizes the rollups q asks for: a few thousand rows for a
// year, never the event log.
func (r *Reporter) Report(ctx context.Context, q Query) (*Report, error) {
	apps, err := r.st.ApplicationList(ctx, store.ApplicationListParams{})
	if err != nil {
		return nil, fmt.Errorf("kpi: listing applications: %w", err)
	}
	envs, err := r.st.EnvironmentList(ctx)
	if err != nil {
		return nil, fmt.Errorf("kpi: listing environments: %w", err)
	}
	sc := newScope(q, apps, envs)
	length := q.To.Sub(q.From)
	prevFrom := q.From.Add(-length)
	// Months whole inside the period, or the one before, are summarized
	// folded; by month, they are the points' buckets too.
	h, err := r.entries(ctx, prevFrom, q.To, [][2]time.Time{{prevFrom, q.From}, {q.From, q.To}})
	if err != nil {
		return nil, err
	}
	ids := h.ids
	rep := &Report{Query: q, ComputedAt: r.now().UTC(), UpTo: h.upTo}
	in := sc.index(ids)
	var cur, prev, byDay []*dayEntry
	for _, m := range h.months {
		if !in.has(m.app, m.env) {
			continue
		}
		prev = m.appendIn(prev, prevFrom, q.From)
		cur = m.appendIn(cur, q.From, q.To)
		if q.By != BucketMonth {
			byDay = m.appendDays(byDay, q.From, q.To)
		}
	}
	if q.By == BucketMonth {
		byDay = cur
	}
	days := int(length / (24 * time.Hour))
	// The parts read the same rollups and write their own results: they
	// are summarized side by side, on as many cores as there are.
	var wg sync.WaitGroup
	wg.Go(func() { rep.Summary = summarize(cur, days); rep.Bands = Grade(rep.Summary) })
	wg.Go(func() { rep.Previous = summarize(prev, days) })
	wg.Go(func() { rep.Points = points(q, byDay) })
	wg.Go(func() { rep.Teams, rep.Apps = breakdown(sc, ids, cur, days) })
	rep.Adoption, err = r.adoption(ctx, q, sc, ids, cur)
	rep.Adoption.ActiveUsers = activeUsers(h.actors, h.nActor, in, q.From, q.To)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// entries returns what the reporter holds of the months that overlap
// [from, to), reading what it does not hold yet and what changed since it
// last looked, with each month that lies whole inside one of the spans
// folded.
func (r *Reporter) entries(ctx context.Context, from, to time.Time, spans [][2]time.Time) (held, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.months == nil {
		r.months, r.actors = map[monthKey]*laneMonth{}, map[monthKey]*actorMonth{}
	}
	switch {
	case r.from.IsZero():
		// The first read takes every day from from on, as of now: what
		// commits later carries a later event than anything read.
		if err := r.load(ctx, from, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), true); err != nil {
			return held{}, err
		}
	case from.Before(r.from):
		// Reaching further back reads only the older days. Their rows may
		// carry events newer than changes of the days held that were not
		// read yet, so those are read first, and the older days' events
		// do not move the marks (a later refresh may read them again).
		if err := r.refresh(ctx); err != nil {
			return held{}, err
		}
		if err := r.load(ctx, from, r.from, false); err != nil {
			return held{}, err
		}
	}
	if err := r.refresh(ctx); err != nil {
		return held{}, err
	}
	h := held{upTo: r.seen, ids: maps.Clone(r.ids), nActor: len(r.actorIDs),
		months: overlapping(r.months, from, to, spans), actors: overlapping(r.actors, from, to, spans)}
	return h, nil
}

// load reads the rollups and actors of the days in [from, to) and holds
// them from from on; advance moves the marks refresh reads after to their
// newest events. r.mu held.
func (r *Reporter) load(ctx context.Context, from, to time.Time, advance bool) error {
	rows, err := r.st.KPIDayList(ctx, store.KPIDayListParams{From: from, To: to})
	if err != nil {
		return err
	}
	actors, err := r.st.KPIActorList(ctx, from, to)
	if err != nil {
		return err
	}
	if err := r.hold(rows, from, advance); err != nil {
		return err
	}
	r.holdActors(actors, from, advance)
	r.from = from
	return nil
}

// refresh reads the rollups and actors changed since the reporter last
// looked. r.mu held.
func (r *Reporter) refresh(ctx context.Context) error {
	for {
		rows, err := r.st.KPIDayChanged(ctx, r.seen, refreshBatch)
		if err != nil {
			return err
		}
		if err := r.hold(rows, r.from, true); err != nil {
			return err
		}
		if len(rows) < refreshBatch {
			break
		}
	}
	for {
		rows, err := r.st.KPIActorChanged(ctx, r.actorSeen, refreshBatch)
		if err != nil {
			return err
		}
		r.holdActors(rows, r.from, true)
		if len(rows) < refreshBatch {
			return nil
		}
	}
}

// hold decodes rows into the cache (those of days before from are only
// noted as seen: they are read whole when a report first reaches them);
// advance moves r.seen to their newest event.
func (r *Reporter) hold(rows []store.KPIDay, from time.Time, advance bool) error {
	for _, row := range rows {
		if advance {
			r.seen = max(r.seen, row.Event)
		}
		if row.Day.Before(from) {
			continue
		}
		e := &dayEntry{App: row.Application, Env: row.Environment, app: r.id(row.Application), env: r.id(row.Environment),
			dayN: int32(row.Day.Unix() / (24 * 60 * 60)), span: 1, day: row.Day, rec: &dayRec{}}
		if err := decodeDay(row, e.rec); err != nil {
			return fmt.Errorf("kpi: %w", err)
		}
		if e.rec.Deploys > 0 {
			e.deployDays = 1
		}
		k := monthKey{app: e.app, env: e.env, month: monthOf(row.Day)}
		m := r.months[k]
		if m == nil {
			m = newLaneMonth(row.Day, e.app, e.env)
		}
		r.months[k] = m.with(e)
	}
	return nil
}

// id is name's number, given at its first sight (r.mu held).
func (r *Reporter) id(name string) int32 {
	if r.ids == nil {
		r.ids = map[string]int32{}
	}
	n, ok := r.ids[name]
	if !ok {
		n = int32(len(r.ids))
		r.ids[name] = n
	}
	return n
}

// scope is what a query covers: its applications and their teams, and the
// production environments.
type scope struct {
	apps   []model.Application
	filter []string // nil: every application, those of none included
	envs   []string
	in     map[string]bool // filter as a set
	prod   map[string]bool // envs as a set
}

// scopeIndex is a scope over the names' numbers (Reporter.id).
type scopeIndex struct {
	app, env []bool
	every    bool // no filter: every application
}

// index is sc over the names numbered by ids.
func (sc scope) index(ids map[string]int32) scopeIndex {
	x := scopeIndex{app: make([]bool, len(ids)), env: make([]bool, len(ids)), every: sc.filter == nil}
	for name := range sc.in {
		if n, ok := ids[name]; ok {
			x.app[n] = true
		}
	}
	for name := range sc.prod {
		if n, ok := ids[name]; ok {
			x.env[n] = true
		}
	}
	return x
}

// has reports whether the rollups of application app in environment env
// (the names' numbers) are in scope: of a production environment in
// scope, and of an application in scope.
func (x scopeIndex) has(app, env int32) bool {
	return x.env[env] && (x.every || x.app[app])
}

func newScope(q Query, apps []model.Application, envs []model.Environment) scope {
	sc := scope{envs: []string{}}
	narrowed := q.Team != "" || q.Application != ""
	for _, a := range apps {
		if (q.Team != "" && a.Team != q.Team) || (q.Application != "" && a.Name != q.Application) {
			continue
		}
		if q.Readable != nil && !q.Readable(a.Name) {
			narrowed = true
			continue
		}
		sc.apps = append(sc.apps, a)
	}
	if narrowed || (q.Readable != nil && !q.Readable("")) {
		sc.filter = make([]string, 0, len(sc.apps))
		for _, a := range sc.apps {
			sc.filter = append(sc.filter, a.Name)
		}
	}
	for _, e := range envs {
		if e.Production && (q.Environment == "" || e.Name == q.Environment) {
			sc.envs = append(sc.envs, e.Name)
		}
	}
	sc.in, sc.prod = map[string]bool{}, map[string]bool{}
	for _, a := range sc.filter {
		sc.in[a] = true
	}
	for _, e := range sc.envs {
		sc.prod[e] = true
	}
	return sc
}

// points summarizes each bucket (its days within the period).
func points(q Query, entries []*dayEntry) []Point {
	starts := q.Buckets()
	by := make([][]*dayEntry, len(starts))
	for _, e := range entries {
		i, _ := slices.BinarySearchFunc(starts, e.day, func(s, t time.Time) int {
			return s.Compare(t)
		})
		if i == len(starts) || starts[i].After(e.day) {
			i--
		}
		if i >= 0 {
			by[i] = append(by[i], e)
		}
	}
	out := make([]Point, len(starts))
	for i, s := range starts {
		from, to := s, nextBucket(q.By, s)
		from, to = later(from, q.From), earlier(to, q.To)
		out[i] = Point{Start: s, Summary: summarize(by[i], int(to.Sub(from)/(24*time.Hour)))}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// breakdown makes a row per team and per application in scope (ids
// numbers the names, as in the entries).
func breakdown(sc scope, ids map[string]int32, entries []*dayEntry, days int) (teams, apps []Row) {
	// A rollup of an application not in scope (one deleted since) counts
	// for the team "", like an application of no team.
	teamNo := map[string]int{"": 0}
	teamOf := make([]int, len(ids))
	for _, a := range sc.apps {
		t, ok := teamNo[a.Team]
		if !ok {
			t = len(teamNo)
			teamNo[a.Team] = t
		}
		if n, ok := ids[a.Name]; ok {
			teamOf[n] = t
		}
	}
	byApp := make([][]*dayEntry, len(ids))
	byTeam := make([][]*dayEntry, len(teamNo))
	for _, e := range entries {
		if e.App == "" {
			continue
		}
		byApp[e.app] = append(byApp[e.app], e)
		byTeam[teamOf[e.app]] = append(byTeam[teamOf[e.app]], e)
	}
	of := func(name string) []*dayEntry {
		if n, ok := ids[name]; ok {
			return byApp[n]
		}
		return nil
	}
	seenTeam := map[string]bool{}
	for _, a := range sc.apps {
		s := summarize(of(a.Name), days)
		apps = append(apps, Row{Name: a.Name, Team: a.Team, Summary: s, Bands: Grade(s)})
		if !seenTeam[a.Team] {
			seenTeam[a.Team] = true
			ts := summarize(byTeam[teamNo[a.Team]], days)
			teams = append(teams, Row{Name: a.Team, Summary: ts, Bands: Grade(ts)})
		}
	}
	slices.SortFunc(apps, func(x, y Row) int { return cmp.Compare(x.Name, y.Name) })
	slices.SortFunc(teams, func(x, y Row) int { return cmp.Compare(x.Name, y.Name) })
	return teams, apps
}

// adoption is the paved road's reach over the period.
func (r *Reporter) adoption(ctx context.Context, q Query, sc scope, ids map[string]int32, entries []*dayEntry) (Adoption, error) {
	first, err := r.st.KPIDocList(ctx, docApp)
	if err != nil {
		return Adoption{}, err
	}
	active := make([]bool, len(ids))
	var changes []OutOfBandChange
	for _, e := range entries {
		if e.rec.Deploys > 0 {
			active[e.app] = true
		}
		changes = append(changes, e.rec.Changes...)
	}
	a := Adoption{Applications: len(sc.apps)}
	teams, onboardedTeams := map[string]bool{}, map[string]bool{}
	for _, app := range sc.apps {
		if app.Team != "" {
			teams[app.Team] = true
		}
		// Onboarded: live in a production environment in scope by the end.
		for _, env := range sc.envs {
			var t time.Time
			if doc, ok := first[laneKey(app.Name, env)]; ok && json.Unmarshal(doc, &t) == nil && t.Before(q.To) {
				a.OnboardedApps++
				if app.Team != "" {
					onboardedTeams[app.Team] = true
				}
				break
			}
		}
		if n, ok := ids[app.Name]; ok && active[n] {
			a.ActiveApplications++
		}
	}
	a.Teams, a.OnboardedTeams = len(teams), len(onboardedTeams)
	slices.SortFunc(changes, func(x, y OutOfBandChange) int { return y.Time.Compare(x.Time) })
	a.OutOfBandChanges = changes[:min(len(changes), maxOutOfBandListed)]
	return a, nil
}
