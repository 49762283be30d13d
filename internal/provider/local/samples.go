package local

import (
	"context"
	"sort"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// SampleStore keeps the front doors' per-second traffic beyond the 15
// minutes held in memory and beyond a restart of the server, so a canary
// analysis interval that spans a restart is judged on all its seconds.
type SampleStore interface {
	TrafficSecondsInsert(ctx context.Context, secs []store.TrafficSecond) error
	TrafficSecondsList(ctx context.Context, params store.TrafficSecondsParams) ([]store.TrafficSecond, error)
	TrafficSecondsDeleteBefore(ctx context.Context, before time.Time) (int64, error)
}

const (
	// sampleFlush is how often complete seconds are stored: a crash loses
	// at most this much of the samples (a stop loses none).
	sampleFlush = 5 * time.Second
	// sampleRetention is how long stored seconds are kept.
	sampleRetention = 2 * time.Hour
)

// flushSamples stores the complete seconds of every front door since the
// last flush, every sampleFlush until the provider closes, and once more
// then; it deletes seconds older than sampleRetention once an hour.
func (p *Provider) flushSamples(started time.Time) {
	defer p.wg.Done()
	tick := time.NewTicker(sampleFlush)
	defer tick.Stop()
	// The first flush goes back as far as a front-door process remembers:
	// the seconds a crashed server had not stored yet are stored now, and
	// those it had are left as they are (the store keeps a second's first
	// copy), so none is lost or counted twice.
	from, lastPrune := started.Add(-seriesSeconds*time.Second).Truncate(time.Second), time.Time{}
	for {
		select {
		case <-p.ctx.Done():
			p.storeSeconds(from, time.Now().Truncate(time.Second))
			return
		case <-tick.C:
		}
		to := time.Now().Truncate(time.Second) // the current second is not complete
		if p.storeSeconds(from, to) {
			from = to
		}
		if time.Since(lastPrune) > time.Hour {
			ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
			if _, err := p.cfg.Samples.TrafficSecondsDeleteBefore(ctx, time.Now().Add(-sampleRetention)); err != nil && p.ctx.Err() == nil {
				p.log.Warn("could not delete old front-door samples; trying again in an hour", "err", err)
			}
			cancel()
			lastPrune = time.Now()
		}
	}
}

// storeSeconds stores every front door's seconds in [from, to); false when
// the store refused them (they are tried again with the next flush).
func (p *Provider) storeSeconds(from, to time.Time) bool {
	var secs []store.TrafficSecond
	for _, d := range p.allDoors() {
		for _, app := range d.apps() {
			for sg, ss := range p.doorSeconds(app, d.env, "", from, to) {
				for _, s := range ss {
					secs = append(secs, store.TrafficSecond{Application: app, Environment: d.env, ServerGroup: sg, Time: s.Time,
						Requests: s.Requests, Errors: s.Errors, SumSeconds: s.SumSeconds, Latency: s.Latency})
				}
			}
		}
	}
	if len(secs) == 0 {
		return true
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), 10*time.Second)
	defer cancel()
	if err := p.cfg.Samples.TrafficSecondsInsert(ctx, secs); err != nil {
		p.log.Warn("could not store front-door samples; trying again with the next flush", "seconds", len(secs), "err", err)
		return false
	}
	return true
}

// withStored adds to the seconds held in memory those of [from, to) that
// only the store has (from before a restart, or older than the ring).
func (p *Provider) withStored(app, env, serverGroup string, from, to time.Time, mem []Second) []Second {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	stored, err := p.cfg.Samples.TrafficSecondsList(ctx, store.TrafficSecondsParams{Application: app, Environment: env, ServerGroup: serverGroup, From: from, To: to})
	if err != nil {
		p.log.Warn("could not read stored front-door samples; judging on the seconds in memory", "server_group", serverGroup, "err", err)
		return mem
	}
	have := make(map[int64]bool, len(mem))
	for _, s := range mem {
		have[s.Time.Unix()] = true
	}
	out := mem
	for _, s := range stored {
		if !have[s.Time.Unix()] {
			out = append(out, Second{Time: s.Time, Requests: s.Requests, Errors: s.Errors, SumSeconds: s.SumSeconds, Latency: s.Latency})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// doorSeconds asks env's front-door process for app's complete seconds in
// [from, to) by server group (only serverGroup's unless it is "").
func (p *Provider) doorSeconds(app, env, serverGroup string, from, to time.Time) map[string][]Second {
	d := p.door(env)
	if d == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), doorCallTimeout)
	defer cancel()
	reply, err := d.call(ctx, func() doorRequest {
		return doorRequest{Op: opSeconds, Application: app, ServerGroup: serverGroup, From: from, To: to}
	})
	if err != nil {
		p.log.Warn("could not read the front door's samples", "application", app, "environment", env, "err", err)
		return nil
	}
	return reply.Seconds
}
