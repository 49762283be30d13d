package frontdoor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/store"
)

// A series is one application's minutes in one environment, held in
// memory so that evaluating an SLO every 30 s reads only the new minutes:
// whole hours (summed) for the older part of the windows, minutes for the
// last minuteSpan (where the alert windows end and the rollup still
// rewrites), and, for a window that starts inside an older hour, that
// hour's minutes read once (an edge). Each row holds the requests, the
// errors, and the requests under each latency bound asked for so far.
type series struct {
	app, env string
	below    []int // latency.UnderIndex of each bound counted
	stride   int   // 2 + len(below)

	oldest   int64 // Unix seconds, hour-aligned: nothing before is loaded
	minStart int64 // hour-aligned: minutes from here on are rows of mins
	fetched  int64 // minutes before this were read
	hours    rows
	mins     rows
	edges    map[int64]*edge
	checked  time.Time // the last refresh
}

// rows are time-ordered rows of stride values each.
type rows struct {
	at   []int64
	vals []uint64
}

type edge struct {
	rows
	used time.Time
}

const (
	// minuteSpan is how much of the recent past is kept by the minute: the
	// short alert windows (up to 6 h) and an hour of slack.
	minuteSpan = 7 * time.Hour
	// overlap is read again on every refresh: the rollup rewrites the last
	// minutes as late seconds arrive.
	overlap = 7 * time.Minute
	// refreshEvery: within one evaluation round a series is read once.
	refreshEvery = 10 * time.Second
	hour         = int64(3600)
)

func hourFloor(t int64) int64 { return t - ((t%hour)+hour)%hour }

// add appends a row (its time after every row's).
func (r *rows) add(at int64, v []uint64) {
	r.at = append(r.at, at)
	r.vals = append(r.vals, v...)
}

// sum adds the rows in [from, to) into out.
func (r *rows) sum(from, to int64, out []uint64) {
	stride := len(out)
	i := sort.Search(len(r.at), func(i int) bool { return r.at[i] >= from })
	for ; i < len(r.at) && r.at[i] < to; i++ {
		for j, v := range r.vals[i*stride : (i+1)*stride] {
			out[j] += v
		}
	}
}

// cut drops the rows from t on.
func (r *rows) cut(t int64, stride int) {
	i := sort.Search(len(r.at), func(i int) bool { return r.at[i] >= t })
	r.at, r.vals = r.at[:i], r.vals[:i*stride]
}

// drop removes the rows before t.
func (r *rows) drop(t int64, stride int) {
	i := sort.Search(len(r.at), func(i int) bool { return r.at[i] >= t })
	r.at, r.vals = slices.Clone(r.at[i:]), slices.Clone(r.vals[i*stride:])
}

// read lists the stored minutes in [from, to) as rows of s's stride.
func (s *series) read(ctx context.Context, st MinuteReader, from, to int64) (rows, error) {
	mins, err := st.TrafficMinuteList(ctx, store.TrafficMinuteListParams{Application: s.app, Environment: s.env,
		From: time.Unix(from, 0), To: time.Unix(to, 0)})
	if err != nil {
		return rows{}, err
	}
	out := rows{at: make([]int64, 0, len(mins)), vals: make([]uint64, 0, len(mins)*s.stride)}
	v := make([]uint64, s.stride)
	for _, m := range mins {
		clear(v)
		v[0], v[1] = m.Requests, m.Errors
		if len(s.below) > 0 {
			if err := latency.MinuteUnder(m.Latency, s.below, v[2:]); err != nil {
				return rows{}, fmt.Errorf("the traffic of %s in %s at %s: %w", s.app, s.env, m.Minute.Format(time.RFC3339), err)
			}
		}
		out.add(m.Minute.Unix(), v)
	}
	return out, nil
}

// load reads [from, s.oldest) (or up to now on the first load) and makes
// it s's; the minutes before minStart are summed by the hour.
func (s *series) load(ctx context.Context, st MinuteReader, from, now int64) error {
	from = hourFloor(from)
	first := s.mins.at == nil && s.hours.at == nil && s.fetched == 0
	to := s.oldest
	if first {
		to = now
		s.minStart = max(from, hourFloor(now)-int64(minuteSpan/time.Second))
	}
	got, err := s.read(ctx, st, from, to)
	if err != nil {
		return err
	}
	var older rows
	hourly := s.fold(got, s.minStart)
	older.at, older.vals = append(hourly.at, s.hours.at...), append(hourly.vals, s.hours.vals...)
	s.hours = older
	if first {
		for i, at := range got.at {
			if at >= s.minStart {
				s.mins.add(at, got.vals[i*s.stride:(i+1)*s.stride])
			}
		}
		s.fetched = now
	}
	s.oldest = from
	return nil
}

// fold sums the rows before limit by the hour.
func (s *series) fold(r rows, limit int64) rows {
	var out rows
	acc := make([]uint64, s.stride)
	cur := int64(-1)
	flush := func() {
		if cur >= 0 {
			out.add(cur, acc)
			clear(acc)
		}
	}
	for i, at := range r.at {
		if at >= limit {
			break
		}
		if h := hourFloor(at); h != cur {
			flush()
			cur = h
		}
		for j, v := range r.vals[i*s.stride : (i+1)*s.stride] {
			acc[j] += v
		}
	}
	flush()
	return out
}

// refresh reads the minutes since the last refresh (and overlap before),
// moves the hours that left minuteSpan into hour rows, and forgets edges
// unused for two hours and hours past Retention.
func (s *series) refresh(ctx context.Context, st MinuteReader, now time.Time) error {
	if now.Sub(s.checked) < refreshEvery {
		return nil
	}
	n := now.Unix()
	from := max(s.fetched-int64(overlap/time.Second), s.minStart)
	got, err := s.read(ctx, st, from, n)
	if err != nil {
		return err
	}
	s.mins.cut(from, s.stride)
	s.mins.at, s.mins.vals = append(s.mins.at, got.at...), append(s.mins.vals, got.vals...)
	s.fetched = n
	if limit := hourFloor(n) - int64(minuteSpan/time.Second); limit > s.minStart {
		moved := s.fold(s.mins, limit)
		s.hours.at, s.hours.vals = append(s.hours.at, moved.at...), append(s.hours.vals, moved.vals...)
		s.mins.drop(limit, s.stride)
		s.minStart = limit
	}
	if keep := hourFloor(n - int64(Retention/time.Second)); keep > s.oldest {
		s.hours.drop(keep, s.stride)
		s.oldest = keep
	}
	for h, e := range s.edges {
		if now.Sub(e.used) > 2*time.Hour {
			delete(s.edges, h)
		}
	}
	s.checked = now
	return nil
}

// sum adds the rows of [from, to) into out (stride long), reading an
// edge hour's minutes when a bound falls inside an hour before minStart.
func (s *series) sum(ctx context.Context, st MinuteReader, from, to int64, now time.Time, out []uint64) error {
	if lo := max(from, s.minStart); lo < to {
		s.mins.sum(lo, to, out)
	}
	hi := min(to, s.minStart)
	if from >= hi {
		return nil
	}
	h0, h1 := hourFloor(from), hourFloor(hi)
	if from > h0 { // a window starting inside an hour
		end := min(h0+hour, hi)
		if err := s.edgeSum(ctx, st, h0, from, end, now, out); err != nil {
			return err
		}
		h0 += hour
	}
	if h0 < h1 {
		s.hours.sum(h0, h1, out)
	}
	if h1 >= h0 && h1 < hi { // a window ending inside an hour (to before minStart)
		return s.edgeSum(ctx, st, h1, h1, hi, now, out)
	}
	return nil
}

func (s *series) edgeSum(ctx context.Context, st MinuteReader, h, from, to int64, now time.Time, out []uint64) error {
	e := s.edges[h]
	if e == nil {
		r, err := s.read(ctx, st, h, h+hour)
		if err != nil {
			return err
		}
		e = &edge{rows: r}
		if s.edges == nil {
			s.edges = map[int64]*edge{}
		}
		s.edges[h] = e
	}
	e.used = now
	e.sum(from, to, out)
	return nil
}
