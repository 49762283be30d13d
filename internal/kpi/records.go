package kpi

import (
	"slices"
	"time"
)

// The fold's records. Times are UTC; durations are microseconds (the
// precision every store keeps times at), so sums and quantiles are exact.

// Window is how long after going live an incident counts against a deploy,
// and how long after a failure's detection the next attempt is its fix
// (docs/kpis.md).
const Window = 24 * time.Hour

// Causes of a change failure.
const (
	CauseFailed     = "failed"
	CauseRolledBack = "rolled_back"
	CauseIncident   = "incident"
)

// deployRec is one production deploy (an attempt).
type deployRec struct {
	Key        string     `json:"key"`  // Base, and #N for the Nth attempt of a retried stage
	Base       string     `json:"base"` // execution/environment/stage
	Exec       string     `json:"exec"`
	App        string     `json:"app"`
	Env        string     `json:"env"`
	Version    string     `json:"version,omitempty"`
	Started    time.Time  `json:"started"`
	CommitTime *time.Time `json:"commitTime,omitempty"`
	Live       *time.Time `json:"live,omitempty"`
	Ended      *time.Time `json:"ended,omitempty"`
	RolledAway *time.Time `json:"rolledAway,omitempty"` // a rollback moved traffic away from it
	Failure    *failure   `json:"failure,omitempty"`
	Rework     bool       `json:"rework,omitempty"`
	// ReworkFor names the failed attempts whose fix this is.
	ReworkFor []string `json:"reworkFor,omitempty"`
	Steps     int      `json:"steps,omitempty"`
	WaitUS    int64    `json:"waitUs,omitempty"`
	Parts     [4]int64 `json:"parts,omitzero"` // waiting to start, running, people, analysis (µs)
	Incidents []string `json:"incidents,omitempty"`
}

// failure is why and when an attempt became a change failure.
type failure struct {
	Cause    string     `json:"cause"`
	Failed   time.Time  `json:"failed"`
	Detected time.Time  `json:"detected"`
	Restored *time.Time `json:"restored,omitempty"`
	Incident string     `json:"incident,omitempty"`
	// FixClaimed: an attempt after the detection is its fix (rework),
	// Fix its key.
	FixClaimed bool   `json:"fixClaimed,omitempty"`
	Fix        string `json:"fix,omitempty"`
}

// execRec is what the fold keeps of a running execution.
type execRec struct {
	App      string               `json:"app"`
	Started  *time.Time           `json:"started,omitempty"`
	Steps    int                  `json:"steps,omitempty"`
	WaitUS   int64                `json:"waitUs,omitempty"`
	AnalysUS int64                `json:"analysisUs,omitempty"`
	Waits    map[string]time.Time `json:"waits,omitempty"`    // open waits for people, by stage
	Analyses map[string]time.Time `json:"analyses,omitempty"` // open analyses, by stage
	InAnalys map[string]int64     `json:"inAnalysis,omitempty"`
	// Finished is when it last finished: it is kept a while after, as a
	// retry reopens it and a cancel's abort ends its deploy after it.
	Finished *time.Time `json:"finished,omitempty"`
}

// lane is the recent deploys of one application in one environment,
// oldest start first: what attribution, rework and recovery look at.
type lane struct {
	Deploys []*deployRec `json:"deploys"`
}

func (l *lane) find(key string) *deployRec {
	for _, d := range l.Deploys {
		if d.Key == key {
			return d
		}
	}
	return nil
}

// latest is the newest attempt of a deploy stage (a retry makes another).
func (l *lane) latest(base string) *deployRec {
	var best *deployRec
	for _, d := range l.Deploys {
		if d.Base == base && (best == nil || !d.Started.Before(best.Started)) {
			best = d
		}
	}
	return best
}

// liveAt is the deploy live at t: the newest that went live at or before
// t and that no rollback moved traffic away from at or before t.
func (l *lane) liveAt(t time.Time) *deployRec {
	var best *deployRec
	for _, d := range l.Deploys {
		if d.Live == nil || d.Live.After(t) {
			continue
		}
		if best == nil || d.Live.After(*best.Live) {
			best = d
		}
	}
	if best == nil || (best.RolledAway != nil && !best.RolledAway.After(t)) {
		return nil
	}
	return best
}

// liveVersion is the newest deploy of version that is live at t (for a
// rollback away from version).
func (l *lane) liveVersion(version string, t time.Time) *deployRec {
	var best *deployRec
	for _, d := range l.Deploys {
		if d.Version != version || d.Live == nil || d.Live.After(t) || d.RolledAway != nil {
			continue
		}
		if best == nil || d.Live.After(*best.Live) {
			best = d
		}
	}
	return best
}

// firstStartedAfter is the first attempt that started after t and at the
// latest at until, other than skip.
func (l *lane) firstStartedAfter(t, until time.Time, skip *deployRec) *deployRec {
	var best *deployRec
	for _, d := range l.Deploys {
		if d == skip || !d.Started.After(t) || d.Started.After(until) {
			continue
		}
		if best == nil || d.Started.Before(best.Started) {
			best = d
		}
	}
	return best
}

// prune drops what no later event can need: deploys that ended before
// horizon, are restored if they failed, are not the newest live one and
// whose fix window is over.
func (l *lane) prune(horizon time.Time) {
	var newest *deployRec
	for _, d := range l.Deploys {
		if d.Live != nil && (newest == nil || d.Live.After(*newest.Live)) {
			newest = d
		}
	}
	l.Deploys = slices.DeleteFunc(l.Deploys, func(d *deployRec) bool {
		switch {
		case d == newest, d.Ended == nil && d.Started.After(horizon.Add(-30*24*time.Hour)):
			return false
		case d.Ended != nil && d.Ended.After(horizon):
			return false
		case d.Failure != nil && d.Failure.Restored == nil:
			return false
		case d.Failure != nil && !d.Failure.FixClaimed && d.Failure.Detected.Add(Window).After(horizon):
			return false
		}
		return true
	})
}

// dayCounts is one rollup's counts (the JSON of store.KPIDay.Counts); its
// lead and recovery times are packed in Values.
type dayCounts struct {
	Attempts       int               `json:"attempts,omitempty"`
	Deploys        int               `json:"deploys,omitempty"`
	ChangeFailures int               `json:"changeFailures,omitempty"`
	FailedDeploys  int               `json:"failedDeploys,omitempty"`
	RolledBack     int               `json:"rolledBack,omitempty"`
	IncidentCaused int               `json:"incidentCaused,omitempty"`
	NoCommitTime   int               `json:"noCommitTime,omitempty"`
	Unrecovered    int               `json:"unrecovered,omitempty"`
	Rework         int               `json:"rework,omitempty"`
	ManualSteps    int               `json:"manualSteps,omitempty"`
	WaitUS         int64             `json:"waitUs,omitempty"`
	PartsUS        [4]int64          `json:"partsUs,omitzero"`
	OutOfBand      int               `json:"outOfBand,omitempty"`
	Changes        []OutOfBandChange `json:"changes,omitempty"`
}

// dayRec is a rollup being folded: counts and the durations.
type dayRec struct {
	dayCounts
	Lead     []int64 // µs
	Recovery []int64 // µs
}

// maxChangesPerDay bounds the out-of-band changes a rollup lists.
const maxChangesPerDay = 50

// add adds (sign 1) or takes away (sign -1) a deploy's contribution.
func (r *dayRec) add(d *deployRec, sign int) {
	if d.Ended == nil {
		return
	}
	r.Attempts += sign
	if d.Live != nil {
		r.Deploys += sign
		if d.CommitTime != nil {
			r.Lead = addValue(r.Lead, d.Live.Sub(*d.CommitTime).Microseconds(), sign)
			for i, p := range d.Parts {
				r.PartsUS[i] += int64(sign) * p
			}
		} else {
			r.NoCommitTime += sign
		}
	}
	if f := d.Failure; f != nil {
		r.ChangeFailures += sign
		switch f.Cause {
		case CauseFailed:
			r.FailedDeploys += sign
		case CauseRolledBack:
			r.RolledBack += sign
		case CauseIncident:
			r.IncidentCaused += sign
		}
		if f.Restored != nil {
			r.Recovery = addValue(r.Recovery, f.Restored.Sub(f.Failed).Microseconds(), sign)
		} else {
			r.Unrecovered += sign
		}
	}
	if d.Rework {
		r.Rework += sign
	}
	r.ManualSteps += sign * d.Steps
	r.WaitUS += int64(sign) * d.WaitUS
}

// addValue appends v, or removes one v.
func addValue(vs []int64, v int64, sign int) []int64 {
	if sign > 0 {
		return append(vs, v)
	}
	if i := slices.Index(vs, v); i >= 0 {
		return slices.Delete(vs, i, i+1)
	}
	return vs
}
