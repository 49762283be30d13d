package latency

import (
	"slices"
	"testing"
	"time"
)

func TestMinuteRoundTrip(t *testing.T) {
	cases := map[string][]uint64{"empty": nil, "first and +Inf": {0: 3, NumBounds: 2}, "large counts": {100: 1 << 40, 101: 1, 400: 7}}
	for name, set := range cases {
		t.Run(name, func(t *testing.T) {
			dense := make([]uint64, NumBuckets)
			for i, n := range set {
				dense[i] = n
			}
			b := EncodeMinute(dense)
			got := make([]uint64, NumBuckets)
			got[5] = 99 // decoding clears what was there
			if err := DecodeMinute(b, got); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, dense) {
				t.Fatalf("round trip of %v gave %v", set, got)
			}
		})
	}
	for name, bad := range map[string][]byte{"unknown format": {9}, "cut short": {1, 5}, "past the layout": {1, 0xff, 0x7f, 1}, "zero gap": {1, 1, 1, 0, 1}} {
		if err := DecodeMinute(bad, make([]uint64, NumBuckets)); err == nil {
			t.Errorf("%s: decoded %v", name, bad)
		}
	}
}

func TestUnderIndex(t *testing.T) {
	onBound := time.Duration(Bounds[150] * 1e9)
	i, exact := UnderIndex(onBound)
	if Bounds[150] == onBound.Seconds() && (i != 151 || !exact) {
		t.Errorf("a bound: %d %v, want 151 exact", i, exact)
	}
	// 300 ms lies inside a bucket: only the buckets wholly within it count.
	i, exact = UnderIndex(300 * time.Millisecond)
	if exact || Bounds[i-1] > 0.3 || Bounds[i] <= 0.3 {
		t.Errorf("300ms: %d buckets (last bound %g, next %g), exact %v", i, Bounds[i-1], Bounds[i], exact)
	}
	if i, _ := UnderIndex(time.Minute); i != NumBounds {
		t.Errorf("past the last bound: %d, want every finite bucket %d", i, NumBounds)
	}
	if i, _ := UnderIndex(0); i != 0 {
		t.Errorf("zero: %d", i)
	}
}

func TestMinuteUnder(t *testing.T) {
	dense := make([]uint64, NumBuckets)
	dense[10], dense[200], dense[NumBounds] = 4, 5, 6
	under := make([]uint64, 4)
	if err := MinuteUnder(EncodeMinute(dense), []int{0, 11, 201, NumBounds}, under); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(under, []uint64{0, 4, 9, 9}) {
		t.Fatalf("under %v, want [0 4 9 9]", under)
	}
}
