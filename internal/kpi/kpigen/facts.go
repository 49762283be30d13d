package kpigen

import (
	"sort"
	"time"
)

// Fact is what docs/kpis.md makes of one ended production deploy, worked
// out from the ground truth by the definitions as written: brute force
// over the whole history, with no incremental state.
type Fact struct {
	*Attempt
	// Lead time (went live with a commit time), and its parts.
	HasLead                            bool
	Lead, ToStart, People, Canary, Run float64
	Steps                              int
	HumanWait                          float64
	// Cause is "" (no change failure), "failed", "rolled back" or "incident".
	Cause              string
	FailedAt, Detected time.Time
	Restored           *time.Time
	Rework             bool
	// Why names the rollback or incident behind Cause, for mismatch reports.
	Why string
}

// Facts works out every ended attempt's Fact, in start order.
func (h *History) Facts() []*Fact {
	byEnv := map[string][]*Attempt{}
	for _, a := range h.Attempts {
		k := a.Exec.Application + "/" + a.Environment
		byEnv[k] = append(byEnv[k], a)
	}
	incidents := map[string][]*Incident{}
	for _, i := range h.Incidents {
		k := i.Application + "/" + i.Environment
		incidents[k] = append(incidents[k], i)
	}
	rollbacks := map[string][]Rollback{}
	for _, r := range h.Rollbacks {
		k := r.Application + "/" + r.Environment
		rollbacks[k] = append(rollbacks[k], r)
	}
	var facts []*Fact
	index := map[*Attempt]*Fact{}
	for _, a := range h.Attempts {
		if !a.Ended() {
			continue
		}
		f := &Fact{Attempt: a}
		f.steps()
		if a.Live && a.Exec.CommitTime != nil {
			f.lead()
		}
		k := a.Exec.Application + "/" + a.Environment
		f.failure(byEnv[k], incidents[k], rollbacks[k])
		facts = append(facts, f)
		index[a] = f
	}
	// Rework: each change failure claims the first attempt of its
	// application and environment that starts after it was detected,
	// within 24 hours.
	for _, f := range facts {
		if f.Cause == "" {
			continue
		}
		var fix *Attempt
		for _, b := range byEnv[f.Exec.Application+"/"+f.Environment] {
			if b.Start.After(f.Detected) && (fix == nil || b.Start.Before(fix.Start)) {
				fix = b
			}
		}
		if fix != nil && fix.Start.Sub(f.Detected) <= 24*time.Hour {
			if ff := index[fix]; ff != nil {
				ff.Rework = true
			}
		}
	}
	return facts
}

func secs(d time.Duration) float64 { return d.Seconds() }

// steps counts the execution's manual steps before the attempt ended, and
// the waits for people that ended before it did.
func (f *Fact) steps() {
	for _, s := range f.Exec.Steps {
		if s.At.Before(f.End) {
			f.Steps++
		}
	}
	for _, w := range f.Exec.Waits {
		if !w.End.After(f.End) {
			f.HumanWait += secs(w.End.Sub(w.Start))
		}
	}
}

func (f *Fact) lead() {
	f.HasLead = true
	f.Lead = secs(f.End.Sub(*f.Exec.CommitTime))
	f.ToStart = max(0, secs(f.Exec.Start.Sub(*f.Exec.CommitTime)))
	f.People = f.HumanWait
	for _, a := range f.Exec.Analyses {
		if !a.End.After(f.End) {
			f.Canary += secs(a.End.Sub(a.Start) - a.Inside)
		}
	}
	f.Run = max(0, f.Lead-f.ToStart-f.People-f.Canary)
}

// liveAt is the deploy live in an application's environment at t: the
// newest that went live at or before t, unless a rollback moved traffic
// away from it at or before t.
func liveAt(t time.Time, attempts []*Attempt, rollbacks []Rollback) *Attempt {
	var newest *Attempt
	for _, a := range attempts {
		if a.Live && !a.End.After(t) && (newest == nil || a.End.After(newest.End)) {
			newest = a
		}
	}
	if newest == nil {
		return nil
	}
	for _, r := range rollbacks {
		if r.From == newest.Version && !r.At.Before(newest.End) && !r.At.After(t) {
			return nil
		}
	}
	return newest
}

func (f *Fact) failure(attempts []*Attempt, incidents []*Incident, rollbacks []Rollback) {
	if !f.Live {
		end := f.End
		f.Cause, f.FailedAt, f.Detected, f.Restored = "failed", f.Start, f.End, &end
		return
	}
	var rb *Rollback
	for i, r := range rollbacks {
		if r.From == f.Version && r.At.After(f.End) && (rb == nil || r.At.Before(rb.At)) {
			rb = &rollbacks[i]
		}
	}
	var inc *Incident
	sorted := append([]*Incident(nil), incidents...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start.Before(sorted[j].Start) })
	for _, i := range sorted {
		if i.Start.Before(f.End) || i.Start.Sub(f.End) > 24*time.Hour {
			continue
		}
		if liveAt(i.Start, attempts, rollbacks) == f.Attempt {
			inc = i
			break
		}
	}
	switch {
	case inc != nil && (rb == nil || inc.Start.Before(rb.At)):
		f.Cause, f.FailedAt, f.Detected, f.Why = "incident", inc.Start, inc.Start, inc.ID
		restored := inc.Resolved
		earlier := func(t time.Time) {
			if t.After(inc.Start) && (restored == nil || t.Before(*restored)) {
				restored = &t
			}
		}
		for _, r := range rollbacks {
			if r.From == f.Version {
				earlier(r.At)
			}
		}
		for _, b := range attempts {
			if b.Live && b.End.After(f.End) {
				earlier(b.End)
			}
		}
		f.Restored = restored
	case rb != nil:
		at := rb.At
		f.Cause, f.FailedAt, f.Detected, f.Restored, f.Why = "rolled back", f.End, at, &at, "rollback to "+rb.To
	}
}
