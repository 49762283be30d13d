package source

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/provider/local"
)

func TestFrontDoorSamplesPerSecond(t *testing.T) {
	t.Parallel()

	t0 := time.Unix(1_800_000_000, 0)
	bounds := []float64{0.01, 0.1}
	secs := []local.Second{
		{Time: t0, Requests: 10, Errors: 1, SumSeconds: 0.05, Latency: latency.Sparse(bounds, []uint64{10, 0, 0})},
		{Time: t0.Add(time.Second), Requests: 4, Errors: 2, SumSeconds: 0.2, Latency: latency.Sparse(bounds, []uint64{0, 4, 0})},
	}
	fd := FrontDoor{Seconds: func(app, env, sg string, from, to time.Time) []local.Second { return secs }}
	cases := map[string][]float64{
		FrontDoorErrorRate:   {0.1, 0.5},
		FrontDoorLatencyMean: {0.005, 0.05},
		FrontDoorRequests:    {10, 4},
		FrontDoorLatencyP95:  {0.0095, 0.01 + 0.09*0.95},
	}
	for metric, want := range cases {
		got, err := fd.Fetch(t.Context(), metric, Scope{ServerGroup: "g", Start: t0, End: t0.Add(2 * time.Second)})
		if err != nil {
			t.Fatalf("%s: %v", metric, err)
		}
		if wantTrials := metric == FrontDoorErrorRate; wantTrials != (len(got.Trials) == 2 && got.Trials[0] == 10 && got.Trials[1] == 4) {
			t.Errorf("%s: trials %v; the error rate carries each second's requests (10, 4), no other metric any", metric, got.Trials)
		}
		if len(got.Samples) != len(want) {
			t.Fatalf("%s: got %v, want %v", metric, got.Samples, want)
		}
		for i := range want {
			if math.Abs(got.Samples[i]-want[i]) > 1e-9 {
				t.Errorf("%s[%d] = %v, want %v", metric, i, got.Samples[i], want[i])
			}
		}
	}
	if _, err := fd.Fetch(t.Context(), "cpu", Scope{}); err == nil {
		t.Error("an unknown front-door metric must be an error naming the known ones")
	}
}

// The quantile metrics hand the judge the interval's requests in one
// histogram, with the quantile, so it can test the tail on them; seconds of
// two layouts cannot be added and hand none.
func TestFrontDoorPoolsTheIntervalsRequests(t *testing.T) {
	t.Parallel()

	t0 := time.Unix(1_800_000_000, 0)
	fine := func(lat ...float64) latency.Histogram {
		d := make([]uint64, latency.NumBuckets)
		for _, s := range lat {
			d[latency.BucketOf(s)]++
		}
		return latency.Sparse(latency.Bounds, d)
	}
	secs := []local.Second{
		{Time: t0, Requests: 3, SumSeconds: 0.06, Latency: fine(0.01, 0.02, 0.03)},
		{Time: t0.Add(time.Second), Requests: 2, SumSeconds: 0.05, Latency: fine(0.02, 0.03)},
	}
	fd := FrontDoor{Seconds: func(app, env, sg string, from, to time.Time) []local.Second { return secs }}
	scope := Scope{ServerGroup: "g", Start: t0, End: t0.Add(2 * time.Second)}
	for metric, q := range map[string]float64{FrontDoorLatencyP99: 0.99, FrontDoorLatencyP95: 0.95, FrontDoorLatencyMean: 0, FrontDoorErrorRate: 0} {
		got, err := fd.Fetch(t.Context(), metric, scope)
		if err != nil {
			t.Fatal(err)
		}
		if got.Quantile != q || (q > 0) != (got.Latency != nil) {
			t.Fatalf("%s: quantile %g, histogram %v; want %g and a histogram only for a quantile", metric, got.Quantile, got.Latency, q)
		}
		if got.Latency != nil {
			want := fine(0.01, 0.02, 0.03, 0.02, 0.03)
			if got.Latency.Total() != 5 || !slices.Equal(got.Latency.Counts, want.Counts) {
				t.Fatalf("%s: pooled %v, want %v", metric, got.Latency.Counts, want.Counts)
			}
		}
	}
	mixed := append(slices.Clone(secs), local.Second{Time: t0.Add(2 * time.Second), Requests: 1,
		Latency: latency.Sparse(latency.CoarseBounds, append(make([]uint64, len(latency.CoarseBounds)), 1))})
	fd.Seconds = func(app, env, sg string, from, to time.Time) []local.Second { return mixed }
	if got, _ := fd.Fetch(t.Context(), FrontDoorLatencyP99, scope); got.Latency != nil || len(got.Samples) != 3 {
		t.Fatalf("seconds of two layouts: histogram %v, %d samples; want none and the 3 per-second samples", got.Latency, len(got.Samples))
	}
}

func TestRenderScope(t *testing.T) {
	t.Parallel()

	s := Scope{Application: "shop", Environment: "prod", ServerGroup: "shop-v003", Version: "v3", Role: "canary",
		Start: time.Unix(0, 0), End: time.Unix(30, 0)}
	got := Render(`rate(x{app="{{app}}",env="{{env}}",sg="{{serverGroup}}",v="{{version}}",r="{{role}}"}[{{interval}}])`, s)
	want := `rate(x{app="shop",env="prod",sg="shop-v003",v="v3",r="canary"}[30s])`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
