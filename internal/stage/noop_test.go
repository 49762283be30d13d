package stage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestNoop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		noop        *model.NoopStage
		want        Outcome
		wantInError string
	}{
		{name: "succeeds at once", noop: &model.NoopStage{}, want: Succeeded},
		{name: "fails when configured to", noop: &model.NoopStage{Fail: true}, want: Failed, wantInError: `noop stage "check" is configured to fail (noop.fail: true)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := inputFor(model.StageSpec{Name: "check", Noop: tt.noop}, clock, clock.Add(time.Second))
			r := Noop{}.Run(context.Background(), in)
			if r.Outcome != tt.want {
				t.Fatalf("outcome = %s (%q), want %s", outcomeName(r.Outcome), r.Reason, outcomeName(tt.want))
			}
			if !strings.Contains(r.Reason, tt.wantInError) {
				t.Errorf("reason = %q, want it to say %q", r.Reason, tt.wantInError)
			}
		})
	}
}
