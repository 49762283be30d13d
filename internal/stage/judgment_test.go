package stage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestJudgment(t *testing.T) {
	t.Parallel()
	started := clock
	withTimeout := model.StageSpec{Name: "approve", Judgment: &model.JudgmentStage{Timeout: model.Duration(time.Hour)}}
	noTimeout := model.StageSpec{Name: "approve", Judgment: &model.JudgmentStage{}}
	approved := &model.Judgment{Decision: model.DecisionApprove, Actor: "ada", Comment: "looks good", At: started.Add(time.Minute)}
	rejected := &model.Judgment{Decision: model.DecisionReject, Actor: "grace", Comment: "error rate up in eu", At: started.Add(time.Minute)}

	tests := []struct {
		name       string
		spec       model.StageSpec
		judgment   *model.Judgment
		now        time.Time
		canceled   bool
		want       Outcome
		wantReason string
		wantAt     time.Time
		wantOutput map[string]any
	}{
		{
			name: "nobody answered yet: it waits for a person until the timeout",
			spec: withTimeout, now: started.Add(10 * time.Minute),
			want: WaitForPerson, wantAt: started.Add(time.Hour),
		},
		{
			name: "without a timeout it waits for a person for ever",
			spec: noTimeout, now: started.Add(1000 * time.Hour),
			want: WaitForPerson,
		},
		{
			name: "approved: it succeeds with who approved",
			spec: withTimeout, judgment: approved, now: started.Add(2 * time.Minute),
			want:       Succeeded,
			wantOutput: map[string]any{"decision": "approve", "actor": "ada", "comment": "looks good"},
		},
		{
			name: "an approval after the timeout still counts",
			spec: withTimeout, judgment: approved, now: started.Add(2 * time.Hour),
			want: Succeeded, wantOutput: map[string]any{"decision": "approve", "actor": "ada", "comment": "looks good"},
		},
		{
			name: "rejected: it fails naming who rejected and why",
			spec: withTimeout, judgment: rejected, now: started.Add(2 * time.Minute),
			want: Failed, wantReason: "rejected by grace: error rate up in eu",
			wantOutput: map[string]any{"decision": "reject", "actor": "grace", "comment": "error rate up in eu"},
		},
		{
			name: "rejected without a name or comment",
			spec: noTimeout, judgment: &model.Judgment{Decision: model.DecisionReject}, now: started.Add(time.Minute),
			want: Failed, wantReason: "rejected by someone",
			wantOutput: map[string]any{"decision": "reject", "actor": "", "comment": ""},
		},
		{
			name: "the timeout passed: it fails saying nobody answered",
			spec: withTimeout, now: started.Add(time.Hour),
			want: Failed, wantReason: "nobody approved or rejected within 1h0m0s (judgment.timeout): rejected automatically",
		},
		{
			name: "canceled: it fails even when approved",
			spec: withTimeout, judgment: approved, now: started.Add(time.Minute), canceled: true,
			want: Failed, wantReason: "canceled while waiting for judgment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := inputFor(tt.spec, started, tt.now)
			in.Stage.Judgment = tt.judgment
			in.Canceled = tt.canceled
			r := Judgment{}.Run(context.Background(), in)
			if r.Outcome != tt.want {
				t.Fatalf("outcome = %s (%q), want %s", outcomeName(r.Outcome), r.Reason, outcomeName(tt.want))
			}
			if r.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", r.Reason, tt.wantReason)
			}
			if !r.At.Equal(tt.wantAt) {
				t.Errorf("wait until %v, want %v", r.At, tt.wantAt)
			}
			if tt.wantOutput != nil {
				got := outputOf(t, r)
				for k, want := range tt.wantOutput {
					if got[k] != want {
						t.Errorf("output %s = %v, want %v", k, got[k], want)
					}
				}
			}
		})
	}
}

func TestJudgmentTimeoutMessageSaysNobodyAnswered(t *testing.T) {
	t.Parallel()
	spec := model.StageSpec{Name: "approve", Judgment: &model.JudgmentStage{Timeout: model.Duration(15 * time.Minute)}}
	r := Judgment{}.Run(context.Background(), inputFor(spec, clock, clock.Add(16*time.Minute)))
	if r.Outcome != Failed || !strings.Contains(r.Reason, "nobody approved or rejected") || !strings.Contains(r.Reason, "15m0s") {
		t.Errorf("after the timeout: %s %q, want a failure saying nobody answered within 15m0s", outcomeName(r.Outcome), r.Reason)
	}
}
