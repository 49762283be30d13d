package strategy

import (
	"slices"
	"sort"
	"strings"
)

// share is one claimant of a traffic split: a Ref and how much it deserves
// (an instance count or a current weight).
type share struct {
	ref  Ref
	size int
}

// proportional splits 100 percentage points across shares in proportion to
// their sizes, with integer weights that always sum to exactly 100 (largest
// remainder method; ties go to the earlier share). Shares of size 0 get 0 and
// are left out of the map. It returns nil when every size is 0.
func proportional(shares []share) map[Ref]int {
	return splitTotal(100, shares)
}

// splitTotal is proportional for any total.
func splitTotal(total int, shares []share) map[Ref]int {
	sum := 0
	for _, s := range shares {
		sum += max(s.size, 0)
	}
	if sum == 0 || total <= 0 {
		return nil
	}
	out := make(map[Ref]int, len(shares))
	type rem struct {
		i, r int
	}
	rems := make([]rem, 0, len(shares))
	given := 0
	for i, s := range shares {
		if s.size <= 0 {
			continue
		}
		w := total * s.size / sum
		out[s.ref] += w
		given += w
		rems = append(rems, rem{i, total * s.size % sum})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total; k++ {
		out[shares[rems[k%len(rems)].i].ref]++
		given++
	}
	for r, w := range out {
		if w == 0 {
			delete(out, r)
		}
	}
	return out
}

// sum adds up a weight map.
func sum(w map[Ref]int) int {
	t := 0
	for _, v := range w {
		t += v
	}
	return t
}

// sameWeights reports whether two splits route identically.
func sameWeights(a, b map[Ref]int) bool {
	for r, v := range a {
		if b[r] != v {
			return false
		}
	}
	for r, v := range b {
		if a[r] != v {
			return false
		}
	}
	return true
}

// refsOf lists a split's refs in a stable order, for rendering.
func refsOf(w map[Ref]int) []Ref {
	out := make([]Ref, 0, len(w))
	for r := range w {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Ref) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(string(a), string(b))
	})
	return out
}

// rank orders new, baseline, then existing groups by name.
func rank(r Ref) int {
	switch r {
	case RefNew:
		return -2
	case RefBaseline:
		return -1
	}
	return 0
}
