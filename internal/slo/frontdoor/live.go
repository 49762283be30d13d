package frontdoor

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// SecondsReader reads the front doors' stored seconds: the live part of a
// window, after the last minute the Rollup has written.
type SecondsReader interface {
	TrafficSecondsBetween(ctx context.Context, from, to time.Time) ([]store.TrafficSecond, error)
}

// liveSpan is how far back the live seconds are read: past the minutes
// the rollup has not written yet (a minute is written 15 s after it ends,
// by a pass every minute) with slack.
const liveSpan = 4 * time.Minute

// live are the recent stored seconds of every application, by
// application and environment, read once per refreshEvery.
type live struct {
	at   time.Time
	secs map[[2]string][]store.TrafficSecond
}

// liveSeconds returns the recent seconds of app in env.
func (s *Source) liveSeconds(ctx context.Context, app, env string, now time.Time) ([]store.TrafficSecond, error) {
	if s.Seconds == nil {
		return nil, nil
	}
	if s.live.secs == nil || now.Sub(s.live.at) >= refreshEvery {
		secs, err := s.Seconds.TrafficSecondsBetween(ctx, now.Add(-liveSpan), now)
		if err != nil {
			return nil, err
		}
		by := map[[2]string][]store.TrafficSecond{}
		for _, sec := range secs {
			k := [2]string{sec.Application, sec.Environment}
			by[k] = append(by[k], sec)
		}
		s.live = live{at: now, secs: by}
	}
	return s.live.secs[[2]string{app, env}], nil
}

// addLive adds to out the seconds of [from, to) after the series' last
// stored minute: none is counted twice, whichever of the rollup and this
// read came first, since a second counts only while its minute is not in
// the series.
func (sr *series) addLive(secs []store.TrafficSecond, from, to int64, out []uint64) {
	after := sr.minStart
	if n := len(sr.mins.at); n > 0 {
		after = sr.mins.at[n-1] + 60
	}
	for _, sec := range secs {
		t := sec.Time.Unix()
		if t < after || t < from || t >= to {
			continue
		}
		out[0] += sec.Requests
		out[1] += min(sec.Errors, sec.Requests)
		for _, c := range sec.Latency.Counts {
			idx := fineIndex(sec.Latency.Bounds, int(c.Index))
			for j, lim := range sr.below {
				if idx < lim {
					out[2+j] += uint64(c.N)
				}
			}
		}
	}
}
