package engine

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
)

func TestApplyOutcome(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)
	noop := model.StageSpec{Name: "check", Noop: &model.NoopStage{}}
	withRetries := func(n int) model.StageSpec { s := noop; s.Retries = n; return s }
	continueOnFailure := model.StageSpec{Name: "smoke", Noop: &model.NoopStage{}, OnFailure: model.OnFailureContinue}
	failOnFailure := model.StageSpec{Name: "smoke", Noop: &model.NoopStage{}, OnFailure: model.OnFailureFail}
	deploy := model.StageSpec{Name: "prod", Deploy: &model.DeployStage{Environment: "prod"}}

	tests := []struct {
		name     string
		spec     model.StageSpec
		attempt  int
		result   stage.Result
		stopping bool

		wantStatus  model.StageStatus
		wantReason  string
		wantAttempt int
		wantWake    time.Time // zero: no nudge
		wantEnded   bool
	}{
		{
			name: "succeeded ends the stage", spec: noop, attempt: 1,
			result:     stage.Result{Outcome: stage.Succeeded},
			wantStatus: model.StageSucceeded, wantAttempt: 1, wantEnded: true,
		},
		{
			name: "failed with the default policy fails the stage", spec: noop, attempt: 1,
			result:     stage.Failf("exit 1"),
			wantStatus: model.StageFailed, wantReason: "exit 1", wantAttempt: 1, wantEnded: true,
		},
		{
			name: "failed with onFailure: fail fails the stage", spec: failOnFailure, attempt: 1,
			result:     stage.Failf("exit 1"),
			wantStatus: model.StageFailed, wantReason: "exit 1", wantAttempt: 1, wantEnded: true,
		},
		{
			name: "failed with onFailure: continue lets the pipeline go on", spec: continueOnFailure, attempt: 1,
			result:     stage.Failf("latency high"),
			wantStatus: model.StageFailedContinue, wantReason: "latency high", wantAttempt: 1, wantEnded: true,
		},
		{
			name: "a failed deploy with the default policy (rollback) fails the stage", spec: deploy, attempt: 1,
			result:     stage.Failf("canary judged bad"),
			wantStatus: model.StageFailed, wantReason: "canary judged bad", wantAttempt: 1, wantEnded: true,
		},
		{
			name: "failed while the execution is stopping is canceled", spec: continueOnFailure, attempt: 1,
			result: stage.Failf("traffic restored"), stopping: true,
			wantStatus: model.StageCanceled, wantReason: "canceled: traffic restored", wantAttempt: 1, wantEnded: true,
		},
		{
			name: "continue later keeps the stage running and wakes it then", spec: noop, attempt: 1,
			result:     stage.Result{Outcome: stage.Continue, At: now.Add(30 * time.Second)},
			wantStatus: model.StageRunning, wantAttempt: 1, wantWake: now.Add(30 * time.Second),
		},
		{
			name: "continue at a past time wakes it now", spec: noop, attempt: 1,
			result:     stage.Result{Outcome: stage.Continue, At: now.Add(-time.Hour)},
			wantStatus: model.StageRunning, wantAttempt: 1, wantWake: now,
		},
		{
			name: "continue at once wakes it now", spec: noop, attempt: 1,
			result:     stage.Result{Outcome: stage.Continue},
			wantStatus: model.StageRunning, wantAttempt: 1, wantWake: now,
		},
		{
			name: "wait for a person with a timeout waits and wakes at the timeout", spec: noop, attempt: 1,
			result:     stage.Result{Outcome: stage.WaitForPerson, At: now.Add(time.Hour)},
			wantStatus: model.StageWaiting, wantAttempt: 1, wantWake: now.Add(time.Hour),
		},
		{
			name: "wait for a person without a timeout waits with no wake", spec: noop, attempt: 1,
			result:     stage.Result{Outcome: stage.WaitForPerson},
			wantStatus: model.StageWaiting, wantAttempt: 1,
		},
		{
			name: "a transient error with retries left retries after the backoff", spec: withRetries(3), attempt: 1,
			result:     stage.Result{Outcome: stage.Transient, Reason: "connection refused"},
			wantStatus: model.StageRunning, wantAttempt: 2, wantWake: now.Add(time.Second),
			wantReason: "attempt 1 failed: connection refused; retrying in 1s",
		},
		{
			name: "the last retry waits the longest backoff so far", spec: withRetries(3), attempt: 3,
			result:     stage.Result{Outcome: stage.Transient, Reason: "503"},
			wantStatus: model.StageRunning, wantAttempt: 4, wantWake: now.Add(4 * time.Second),
			wantReason: "attempt 3 failed: 503; retrying in 4s",
		},
		{
			name: "a transient error after the last retry fails naming the attempts", spec: withRetries(3), attempt: 4,
			result:     stage.Result{Outcome: stage.Transient, Reason: "503"},
			wantStatus: model.StageFailed, wantAttempt: 4, wantEnded: true,
			wantReason: "failed after 4 attempts: 503",
		},
		{
			name: "a transient error with no retries fails at once with the error", spec: noop, attempt: 1,
			result:     stage.Result{Outcome: stage.Transient, Reason: "connection refused"},
			wantStatus: model.StageFailed, wantAttempt: 1, wantEnded: true,
			wantReason: "connection refused",
		},
		{
			name: "a transient error out of retries follows onFailure: continue", spec: func() model.StageSpec { s := continueOnFailure; s.Retries = 1; return s }(), attempt: 2,
			result:     stage.Result{Outcome: stage.Transient, Reason: "timeout"},
			wantStatus: model.StageFailedContinue, wantAttempt: 2, wantEnded: true,
			wantReason: "failed after 2 attempts: timeout",
		},
		{
			name: "a transient error out of retries while stopping is canceled", spec: noop, attempt: 1,
			result: stage.Result{Outcome: stage.Transient, Reason: "timeout"}, stopping: true,
			wantStatus: model.StageCanceled, wantAttempt: 1, wantEnded: true,
			wantReason: "canceled: timeout",
		},
		{
			name: "a runner that returns no outcome fails the stage as an internal error", spec: noop, attempt: 1,
			result:     stage.Result{},
			wantStatus: model.StageFailed, wantAttempt: 1, wantEnded: true,
			wantReason: "internal error: stage runner returned no outcome (0)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			next := model.Stage{Name: tt.spec.Name, Status: model.StageRunning, Attempt: tt.attempt}
			var wake time.Time
			applyOutcome(&next, tt.spec, tt.result, now, tt.stopping, &wake)

			if next.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", next.Status, tt.wantStatus)
			}
			if next.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", next.Reason, tt.wantReason)
			}
			if next.Attempt != tt.wantAttempt {
				t.Errorf("attempt = %d, want %d", next.Attempt, tt.wantAttempt)
			}
			if !wake.Equal(tt.wantWake) {
				t.Errorf("wake at %v, want %v", wake, tt.wantWake)
			}
			switch {
			case tt.wantEnded && (next.EndedAt == nil || !next.EndedAt.Equal(now)):
				t.Errorf("ended at %v, want %v", next.EndedAt, now)
			case !tt.wantEnded && next.EndedAt != nil:
				t.Errorf("ended at %v, want the stage still going", *next.EndedAt)
			}
		})
	}
}

func TestApplyOutcomeRetriesExactlyRetriesTimes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)
	spec := model.StageSpec{Name: "hook", Webhook: &model.WebhookStage{URL: model.Inline("https://ci.example.com")}, Retries: 5}
	st := model.Stage{Name: "hook", Status: model.StageRunning, Attempt: 1}
	var delays []time.Duration
	for st.Status == model.StageRunning {
		var wake time.Time
		applyOutcome(&st, spec, stage.Result{Outcome: stage.Transient, Reason: "503"}, now, false, &wake)
		if st.Status == model.StageRunning {
			delays = append(delays, wake.Sub(now))
		}
		if len(delays) > 10 {
			t.Fatal("the stage keeps retrying past its retries")
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	if len(delays) != len(want) {
		t.Fatalf("retried %d times (%v), want %d (retries: 5)", len(delays), delays, len(want))
	}
	for i := range want {
		if delays[i] != want[i] {
			t.Errorf("retry %d after %s, want %s", i+1, delays[i], want[i])
		}
	}
	if st.Status != model.StageFailed || st.Reason != "failed after 6 attempts: 503" {
		t.Errorf("ended %s %q, want failed %q", st.Status, st.Reason, "failed after 6 attempts: 503")
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{-1, time.Second}, // never started: treated as the first attempt
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{4, 8 * time.Second},
		{5, 16 * time.Second},
		{6, 32 * time.Second},
		{7, time.Minute}, // 64s, capped
		{8, time.Minute},
		{63, time.Minute},
		{64, time.Minute}, // no shift overflow
		{1 << 30, time.Minute},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempt); got != tt.want {
			t.Errorf("Backoff(%d) = %s, want %s", tt.attempt, got, tt.want)
		}
	}
}
