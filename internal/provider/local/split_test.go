package local

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// tableOf is a route table over groups g0, g1, ... with weights.
func tableOf(weights ...int) *routeTable {
	routes := make([]*route, len(weights))
	for i, w := range weights {
		routes[i] = &route{name: fmt.Sprintf("g%d", i), weight: w}
	}
	return newRouteTable(routes, routes[len(routes)-1], "", nil)
}

func indexOf(t *routeTable, rt *route) int {
	for i, r := range t.routes {
		if r == rt {
			return i
		}
	}
	return -1
}

var splits = [][]int{{90, 10}, {99, 1}, {33, 33, 34}, {50, 50}, {100, 0}, {0, 100}, {1, 2, 97}, {10, 20, 30, 40}}

// TestWeightedSplitIsExactOverEveryWindow slides a window of 100 requests
// over a long sequence of picks: every window holds each group exactly its
// weight, wherever it starts.
func TestWeightedSplitIsExactOverEveryWindow(t *testing.T) {
	t.Parallel()
	for _, weights := range splits {
		t.Run(fmt.Sprint(weights), func(t *testing.T) {
			t.Parallel()
			tb := tableOf(weights...)
			const n = 1000
			seq := make([]int, n)
			for i := range seq {
				seq[i] = indexOf(tb, tb.weighted())
			}
			counts := make([]int, len(weights))
			for i, g := range seq {
				counts[g]++
				if i >= 100 {
					counts[seq[i-100]]--
				}
				if i >= 99 {
					for g, w := range weights {
						if counts[g] != w {
							t.Fatalf("window of requests %d..%d: group g%d got %d, want %d (counts %v)", i-99, i, g, counts[g], w, counts)
						}
					}
				}
			}
		})
	}
}

// TestWeightedSplitIsExactUnderConcurrency: 1,000 picks from 8 goroutines
// split exactly by the weights over the total.
func TestWeightedSplitIsExactUnderConcurrency(t *testing.T) {
	t.Parallel()
	for _, weights := range splits {
		t.Run(fmt.Sprint(weights), func(t *testing.T) {
			t.Parallel()
			tb := tableOf(weights...)
			const goroutines, each = 8, 125
			var mu sync.Mutex
			counts := make([]int, len(weights))
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					local := make([]int, len(weights))
					for range each {
						local[indexOf(tb, tb.weighted())]++
					}
					mu.Lock()
					for i, c := range local {
						counts[i] += c
					}
					mu.Unlock()
				})
			}
			wg.Wait()
			for g, w := range weights {
				if want := w * goroutines * each / 100; counts[g] != want {
					t.Errorf("group g%d got %d of %d picks, want %d (counts %v)", g, counts[g], goroutines*each, want, counts)
				}
			}
		})
	}
}

// TestSmoothOrderSpreadsPicks: a 90/10 split sends one canary request in
// every ten, not ten in a row (nginx's smooth weighted round robin).
func TestSmoothOrderSpreadsPicks(t *testing.T) {
	t.Parallel()
	order := smoothOrder([]int{90, 10})
	for i := 0; i < 100; i += 10 {
		canary := 0
		for _, g := range order[i : i+10] {
			canary += g
		}
		if canary != 1 {
			t.Fatalf("picks %d..%d hold %d canary picks, want 1: %v", i, i+9, canary, order)
		}
	}
	if got := smoothOrder([]int{0, 0}); len(got) != 0 {
		t.Errorf("no weight: order %v, want none", got)
	}
}

// TestHeaderRoutingTakesNoWeightedPick: requests routed by X-Gennaker-Route
// leave the weighted sequence where it was, so the split stays exact.
func TestHeaderRoutingTakesNoWeightedPick(t *testing.T) {
	t.Parallel()
	tb := tableOf(90, 10)
	counts := make([]int, 2)
	for i := range 1000 {
		if i%3 == 0 {
			for _, h := range []string{"canary", "g0", "g1"} {
				if rt, _ := tb.choose(h, ""); rt == nil || (h != "canary" && rt.name != h) {
					t.Fatalf("header %s routed to %v", h, rt)
				}
			}
		}
		rt, _ := tb.choose("", "")
		counts[indexOf(tb, rt)]++
	}
	if counts[0] != 900 || counts[1] != 100 {
		t.Errorf("with header requests in between, 1,000 weighted picks split %v, want [900 100]", counts)
	}
	if rt, _ := tb.choose("no-such-group", ""); rt == nil {
		t.Error("a header naming no route must fall back to the weights")
	}
}

// TestNewWeightsRestartTheSequence: a table with new weights starts its
// sequence from the beginning, so the first 100 requests after the swap are
// exact; the same split applied again goes on where it was.
func TestNewWeightsRestartTheSequence(t *testing.T) {
	t.Parallel()
	old := tableOf(50, 50)
	for range 37 {
		old.weighted()
	}
	tb := newRouteTable(tableOf(99, 1).routes, nil, "", old)
	counts := make([]int, 2)
	for range 100 {
		counts[indexOf(tb, tb.weighted())]++
	}
	if counts[0] != 99 || counts[1] != 1 {
		t.Errorf("first 100 picks after the swap split %v, want [99 1]", counts)
	}

	// 90/10 applied again every 5 requests still sends 10 in 100 to g1.
	tb = tableOf(90, 10)
	counts = make([]int, 2)
	for i := range 1000 {
		if i%5 == 0 {
			tb = newRouteTable(tableOf(90, 10).routes, nil, "", tb)
		}
		counts[indexOf(tb, tb.weighted())]++
	}
	if counts[0] != 900 || counts[1] != 100 {
		t.Errorf("with the same split applied again every 5 picks, 1,000 picks split %v, want [900 100]", counts)
	}
}

// pickRandom is the split before smooth weighted round robin: an
// independent random draw per request. Kept as the benchmark's baseline.
func pickRandom(t *routeTable) *route {
	if t.total == 0 {
		return nil
	}
	n := rand.IntN(t.total)
	for _, rt := range t.routes {
		if n < rt.weight {
			return rt
		}
		n -= rt.weight
	}
	return nil
}

// BenchmarkPick compares the weighted pick with the random draw it
// replaced, from all cores at once:
//
//	go test -run '^$' -bench Pick -cpu 1,2,8 ./internal/provider/local
func BenchmarkPick(b *testing.B) {
	for _, weights := range [][]int{{90, 10}, {33, 33, 34}} {
		b.Run(fmt.Sprintf("random/%v", weights), func(b *testing.B) {
			tb := tableOf(weights...)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if pickRandom(tb) == nil {
						b.Fatal("no route")
					}
				}
			})
		})
		b.Run(fmt.Sprintf("smooth/%v", weights), func(b *testing.B) {
			tb := tableOf(weights...)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if rt, _ := tb.choose("", ""); rt == nil {
						b.Fatal("no route")
					}
				}
			})
		})
	}
}
