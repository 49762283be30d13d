package kpi

import (
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"
)

// dayEntry is one decoded rollup, or a lane's month of them folded
// together (laneMonth.folded).
type dayEntry struct {
	App, Env string
	// app and env are the Reporter's numbers for App and Env, and dayN
	// the first day's number since 1970: summaries and scopes index
	// slices with them instead of hashing names in maps.
	app, env int32
	dayN     int32
	span     int32     // days covered from dayN: 1 for a day's rollup
	day      time.Time // the first day
	// deployDays has bit i set when day dayN+i had a deploy.
	deployDays uint32
	rec        *dayRec
}

// summarize folds rollups into a Summary over days days (the rollups must
// all lie in the period).
func summarize(entries []*dayEntry, days int) Summary {
	var c dayCounts
	nLead, nRec := 0, 0
	var maxApp, firstDay, lastDay int32
	for i, e := range entries {
		nLead, nRec = nLead+len(e.rec.Lead), nRec+len(e.rec.Recovery)
		maxApp = max(maxApp, e.app)
		if i == 0 {
			firstDay, lastDay = e.dayN, e.dayN
		}
		firstDay, lastDay = min(firstDay, e.dayN), max(lastDay, e.dayN+e.span-1)
	}
	lead, rec := scratch(nLead), scratch(nRec)
	defer release(lead)
	defer release(rec)
	var deployDays, apps int
	dayHasDeploy := make([]bool, int(lastDay-firstDay)+1)
	appAttempted := make([]bool, int(maxApp)+1)
	for _, e := range entries {
		r := e.rec
		c.addCounts(&r.dayCounts)
		lead = append(lead, r.Lead...)
		rec = append(rec, r.Recovery...)
		for m := e.deployDays; m != 0; m &= m - 1 {
			if d := e.dayN - firstDay + int32(bits.TrailingZeros32(m)); !dayHasDeploy[d] {
				dayHasDeploy[d] = true
				deployDays++
			}
		}
		if r.Attempts > 0 && !appAttempted[e.app] {
			appAttempted[e.app] = true
			apps++
		}
	}
	s := Summary{
		Days: days, Deploys: c.Deploys, Attempts: c.Attempts, DeployDays: deployDays, Applications: apps,
		ChangeFailures: c.ChangeFailures, FailedDeploys: c.FailedDeploys, RolledBack: c.RolledBack, IncidentCaused: c.IncidentCaused,
		LeadTime: dist(lead), NoCommitTime: c.NoCommitTime, Recovery: dist(rec), Unrecovered: c.Unrecovered,
		Rework: c.Rework, ManualSteps: c.ManualSteps, HumanWait: float64(c.WaitUS) / 1e6, OutOfBand: c.OutOfBand,
	}
	if days > 0 {
		s.DeploysPerDay = float64(c.Deploys) / float64(days)
	}
	if c.Attempts > 0 {
		n := float64(c.Attempts)
		s.ChangeFailureRate = pointer(float64(c.ChangeFailures) / n)
		s.ReworkRate = pointer(float64(c.Rework) / n)
		s.StepsPerDeploy = pointer(float64(c.ManualSteps) / n)
	}
	if n := len(lead); n > 0 {
		f := float64(n) * 1e6
		s.LeadTimeParts = Parts{WaitingToStart: float64(c.PartsUS[0]) / f, Running: float64(c.PartsUS[1]) / f,
			WaitingForPeople: float64(c.PartsUS[2]) / f, CanaryAnalysis: float64(c.PartsUS[3]) / f}
	}
	if d := c.Deploys + c.OutOfBand; d > 0 {
		s.ThroughGennaker = pointer(float64(c.Deploys) / float64(d))
	}
	return s
}

// scratchPool keeps the buffers summaries gather durations in: a year of
// a busy fleet is millions of values per summary, and allocating them
// anew for each would have the collector walk the reporter's whole
// memory every few reports.
var scratchPool sync.Pool

// scratch is an empty buffer for at least n values.
func scratch(n int) []int64 {
	if p, ok := scratchPool.Get().(*[]int64); ok && cap(*p) >= n {
		return (*p)[:0]
	} else if ok {
		scratchPool.Put(p)
	}
	return make([]int64, 0, n)
}

// release gives b back for other summaries (b must not be used after).
func release(b []int64) {
	if cap(b) > 0 {
		scratchPool.Put(&b)
	}
}

// dist is the distribution of durations in µs, in seconds. It reorders
// us (the caller's own copy): the quantiles are found by selection, in
// linear time, not by sorting.
func dist(us []int64) Dist {
	if len(us) == 0 {
		return Dist{}
	}
	var sum int64
	for _, v := range us {
		sum += v
	}
	median := selectQuantile(us, 0.5)
	// After the median's selection every value right of its order
	// statistic is no smaller: the p90's lie there.
	k := int(math.Floor(float64(len(us)-1) * 0.5))
	var p90 float64
	if n := len(us); k+1 < n && int(math.Floor(float64(n-1)*0.9)) > k {
		p90 = quantileFrom(us[k+1:], int(math.Floor(float64(n-1)*0.9))-(k+1), float64(n-1)*0.9-math.Floor(float64(n-1)*0.9))
	} else {
		p90 = selectQuantile(us, 0.9)
	}
	return Dist{Count: len(us), Median: pointer(median), P90: pointer(p90),
		Mean: pointer(float64(sum) / float64(len(us)) / 1e6)}
}

// quantileFrom is x[lo] + frac·(x[lo+1] − x[lo]) for the order
// statistics of us (reordered), in seconds.
func quantileFrom(us []int64, lo int, frac float64) float64 {
	a := nth(us, lo)
	if lo >= len(us)-1 {
		return float64(a) / 1e6
	}
	b := slices.Min(us[lo+1:])
	x, y := float64(a)/1e6, float64(b)/1e6
	return x + frac*(y-x)
}

// selectQuantile is Quantile of us without sorting it: the order
// statistics ⌊h⌋ and ⌊h⌋+1 by selection (us is reordered).
func selectQuantile(us []int64, p float64) float64 {
	n := len(us)
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	a := nth(us, lo)
	if lo >= n-1 {
		return float64(a) / 1e6
	}
	// After nth, everything right of lo is at least us[lo]: the next order
	// statistic is the smallest of them.
	b := slices.Min(us[lo+1:])
	x, y := float64(a)/1e6, float64(b)/1e6
	return x + (h-float64(lo))*(y-x)
}

// nth reorders a so that a[k] is its k-th smallest value, everything left
// of it no larger and everything right of it no smaller (Hoare's
// selection with a median-of-three pivot), and returns a[k].
func nth(a []int64, k int) int64 {
	lo, hi := 0, len(a)-1
	for hi-lo > 16 {
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	slices.Sort(a[lo : hi+1])
	return a[k]
}

// Quantile is the type-7 p-quantile of sorted µs values, in seconds:
// x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) with h = (n−1)p (numpy's and
// R's default).
func Quantile(sorted []int64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return float64(sorted[n-1]) / 1e6
	}
	a, b := float64(sorted[lo])/1e6, float64(sorted[lo+1])/1e6
	return a + (h-float64(lo))*(b-a)
}

// Grade gives a Summary's DORA bands (docs/kpis.md, "Bands").
func Grade(s Summary) Bands {
	var b Bands
	if s.Applications > 0 {
		b.DeploymentFrequency = frequencyBand(s.DeploysPerDay / float64(s.Applications))
	}
	if m := s.LeadTime.Median; m != nil {
		b.LeadTime = below(*m, 86400, 7*86400, 30*86400)
	}
	if r := s.ChangeFailureRate; r != nil {
		switch {
		case *r <= 0.05:
			b.ChangeFailureRate = BandElite
		case *r <= 0.10:
			b.ChangeFailureRate = BandHigh
		case *r <= 0.15:
			b.ChangeFailureRate = BandMedium
		default:
			b.ChangeFailureRate = BandLow
		}
	}
	if m := s.Recovery.Median; m != nil {
		b.RecoveryTime = below(*m, 3600, 86400, 7*86400)
	}
	return b
}

func frequencyBand(perAppDay float64) Band {
	switch {
	case perAppDay >= 1:
		return BandElite
	case perAppDay >= 1.0/7:
		return BandHigh
	case perAppDay >= 1.0/30:
		return BandMedium
	}
	return BandLow
}

// below grades a duration (seconds) under the elite, high and medium limits.
func below(v, elite, high, medium float64) Band {
	switch {
	case v < elite:
		return BandElite
	case v < high:
		return BandHigh
	case v < medium:
		return BandMedium
	}
	return BandLow
}
