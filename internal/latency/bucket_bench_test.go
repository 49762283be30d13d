package latency

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// BenchmarkBucket: the fine bucket of a latency against the coarse one
// (sort.SearchFloat64s over 13 bounds, as before).
//
//	go test -run '^$' -bench Bucket ./internal/latency
func BenchmarkBucket(b *testing.B) {
	lat := make([]time.Duration, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range lat {
		lat[i] = time.Duration(20e6 * math.Exp(0.5*rng.NormFloat64()))
	}
	sink := 0
	b.Run("coarse", func(b *testing.B) {
		for i := range b.N {
			sink += sort.SearchFloat64s(CoarseBounds, lat[i&4095].Seconds())
		}
	})
	b.Run("fine", func(b *testing.B) {
		for i := range b.N {
			sink += Bucket(lat[i&4095])
		}
	})
	_ = sink
}
