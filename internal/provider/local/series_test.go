package local

import (
	"testing"
	"time"
)

func TestSeriesKeepsPerSecondTraffic(t *testing.T) {
	t.Parallel()

	s := newSeries()
	base := time.Unix(1_800_000_000, 0)
	for i := range 10 {
		s.add(base.Add(time.Duration(i)*100*time.Millisecond), 200, 2*time.Millisecond) // second 0
	}
	s.add(base.Add(1500*time.Millisecond), 503, 40*time.Millisecond) // second 1
	s.add(base.Add(1600*time.Millisecond), 200, 4*time.Millisecond)

	got := s.read(base, base.Add(3*time.Second))
	if len(got) != 2 {
		t.Fatalf("want 2 seconds with traffic, got %d: %+v", len(got), got)
	}
	if got[0].Requests != 10 || got[0].Errors != 0 {
		t.Errorf("second 0: want 10 requests, 0 errors; got %+v", got[0])
	}
	if got[1].Requests != 2 || got[1].Errors != 1 {
		t.Errorf("second 1: want 2 requests, 1 error; got %+v", got[1])
	}
	if want := 0.044; got[1].SumSeconds < want-1e-9 || got[1].SumSeconds > want+1e-9 {
		t.Errorf("second 1: latency sum %v, want %v", got[1].SumSeconds, want)
	}
}

func TestSeriesForgetsOldSecondsOnWrap(t *testing.T) {
	t.Parallel()

	s := newSeries()
	base := time.Unix(1_800_000_000, 0)
	s.add(base, 200, time.Millisecond)
	s.add(base.Add(seriesSeconds*time.Second), 500, time.Millisecond) // same slot, a ring later

	if got := s.read(base, base.Add(time.Second)); len(got) != 0 {
		t.Errorf("the old second was overwritten; want nothing, got %+v", got)
	}
	got := s.read(base.Add(seriesSeconds*time.Second), base.Add((seriesSeconds+1)*time.Second))
	if len(got) != 1 || got[0].Errors != 1 || got[0].Requests != 1 {
		t.Errorf("want the new second alone with its error, got %+v", got)
	}
}
