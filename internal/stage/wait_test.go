package stage

import (
	"context"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestWait(t *testing.T) {
	t.Parallel()
	fiveMinutes := model.StageSpec{Name: "soak", Wait: &model.WaitStage{Duration: model.Duration(5 * time.Minute)}}
	started := clock
	tests := []struct {
		name      string
		startedAt time.Time
		now       time.Time
		canceled  bool
		want      Outcome
		wantAt    time.Time
	}{
		{name: "before the duration it asks to be called at the end", startedAt: started, now: started.Add(time.Minute), want: Continue, wantAt: started.Add(5 * time.Minute)},
		{name: "after a restart it still counts from the stage's start", startedAt: started, now: started.Add(4 * time.Minute), want: Continue, wantAt: started.Add(5 * time.Minute)},
		{name: "at the duration it succeeds", startedAt: started, now: started.Add(5 * time.Minute), want: Succeeded},
		{name: "long after the duration it succeeds", startedAt: started, now: started.Add(time.Hour), want: Succeeded},
		{name: "without a start time it counts from now", now: started, want: Continue, wantAt: started.Add(5 * time.Minute)},
		{name: "canceled it fails at once", startedAt: started, now: started.Add(time.Minute), canceled: true, want: Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := inputFor(fiveMinutes, tt.startedAt, tt.now)
			in.Canceled = tt.canceled
			r := Wait{}.Run(context.Background(), in)
			if r.Outcome != tt.want {
				t.Fatalf("outcome = %s (%q), want %s", outcomeName(r.Outcome), r.Reason, outcomeName(tt.want))
			}
			if !r.At.Equal(tt.wantAt) {
				t.Errorf("call again at %v, want %v", r.At, tt.wantAt)
			}
			switch r.Outcome {
			case Succeeded:
				if got := outputOf(t, r)["waited"]; got != "5m0s" {
					t.Errorf("output waited = %v, want 5m0s", got)
				}
			case Failed:
				if r.Reason != "canceled while waiting" {
					t.Errorf("reason = %q, want %q", r.Reason, "canceled while waiting")
				}
			}
		})
	}
}
