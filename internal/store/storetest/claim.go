package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testClaim(t *testing.T, d Driver) {
	// due stores exec-1 with stage zeta running, due at t0.
	due := func(t *testing.T) *bundle {
		b := setup(t, d)
		exec := newExecution("exec-1", "checkout", "ship", t0)
		exec.Stages[0].WakeAt = ptr(t0)
		insertExecution(t, b, exec)
		return b
	}
	claim := func(b *bundle, claimant, takeover string, now time.Time) (bool, error) {
		return b.store.StageClaim(b.ctx, store.StageClaimParams{
			ExecutionID: "exec-1", Stage: "zeta", Claimant: claimant, Takeover: takeover, Now: now, Until: now.Add(time.Minute),
		})
	}

	t.Run("TimerAndClaimRoundTrip", func(t *testing.T) {
		t.Parallel()
		b := due(t)
		st, err := b.store.StageGet(b.ctx, "exec-1", "zeta")
		must(t, err)
		if st.WakeAt == nil || !st.WakeAt.Equal(t0) || st.ClaimedBy != "" || st.ClaimUntil != nil {
			t.Fatalf("inserted with WakeAt %v and no claim, read back WakeAt %v, ClaimedBy %q, ClaimUntil %v", t0, st.WakeAt, st.ClaimedBy, st.ClaimUntil)
		}
		v := st.Version
		ok, err := claim(b, "w1", "", t0.Add(time.Second))
		must(t, err)
		if !ok {
			t.Fatal("a due, unclaimed running stage could not be claimed")
		}
		st, err = b.store.StageGet(b.ctx, "exec-1", "zeta")
		must(t, err)
		if st.ClaimedBy != "w1" || st.ClaimUntil == nil || !st.ClaimUntil.Equal(t0.Add(time.Second+time.Minute)) || st.Version != v+1 {
			t.Fatalf("after the claim: ClaimedBy %q, ClaimUntil %v, version %d; want w1, %v, %d", st.ClaimedBy, st.ClaimUntil, st.Version, t0.Add(time.Second+time.Minute), v+1)
		}
		// StageUpdate writes the timer and the claim like every other field.
		st.ClaimedBy, st.ClaimUntil, st.WakeAt = "", nil, ptr(t0.Add(time.Hour))
		must(t, b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StageRunning}}))
		got, err := b.store.StageGet(b.ctx, "exec-1", "zeta")
		must(t, err)
		if got.ClaimedBy != "" || got.ClaimUntil != nil || got.WakeAt == nil || !got.WakeAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after StageUpdate cleared the claim and moved the timer: ClaimedBy %q, ClaimUntil %v, WakeAt %v", got.ClaimedBy, got.ClaimUntil, got.WakeAt)
		}
	})

	t.Run("ClaimIsConditional", func(t *testing.T) {
		t.Parallel()
		b := due(t)
		if ok, err := claim(b, "w1", "", t0.Add(-time.Second)); err != nil || ok {
			t.Fatalf("claim before the stage is due: ok=%v err=%v, want false", ok, err)
		}
		now := t0.Add(time.Second)
		if ok, err := claim(b, "w1", "", now); err != nil || !ok {
			t.Fatalf("first claim: ok=%v err=%v", ok, err)
		}
		if ok, err := claim(b, "w2", "", now); err != nil || ok {
			t.Fatalf("a second worker claimed a held stage: ok=%v err=%v", ok, err)
		}
		if ok, err := claim(b, "w2", "w9", now); err != nil || ok {
			t.Fatalf("a takeover naming another claim took the stage: ok=%v err=%v", ok, err)
		}
		if ok, err := claim(b, "w2", "w1", now); err != nil || !ok {
			t.Fatalf("a takeover naming the holder's claim: ok=%v err=%v, want true", ok, err)
		}
		// Expired: anyone may take it.
		if ok, err := claim(b, "w3", "", now.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("claim after the holder's claim expired: ok=%v err=%v, want true", ok, err)
		}
		// A stage that is not active cannot be claimed.
		if ok, err := b.store.StageClaim(b.ctx, store.StageClaimParams{ExecutionID: "exec-1", Stage: "alpha", Claimant: "w1", Now: now, Until: now.Add(time.Minute)}); err != nil || ok {
			t.Fatalf("claimed a pending stage: ok=%v err=%v", ok, err)
		}
		if ok, err := b.store.StageClaim(b.ctx, store.StageClaimParams{ExecutionID: "exec-1", Stage: "nope", Claimant: "w1", Now: now, Until: now.Add(time.Minute)}); err != nil || ok {
			t.Fatalf("claimed a stage that does not exist: ok=%v err=%v", ok, err)
		}
	})

	t.Run("ClaimBeatsAStaleWriter", func(t *testing.T) {
		t.Parallel()
		b := due(t)
		before, err := b.store.StageGet(b.ctx, "exec-1", "zeta")
		must(t, err)
		ok, err := claim(b, "w1", "", t0)
		must(t, err)
		if !ok {
			t.Fatal("claim failed")
		}
		before.Status = model.StageSucceeded
		err = b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: before, From: []model.StageStatus{model.StageRunning}})
		wantErrIs(t, err, store.ErrConflict)
	})

	t.Run("ConcurrentClaimsHaveOneWinner", func(t *testing.T) {
		t.Parallel()
		b := due(t)
		const workers = 16
		var wg sync.WaitGroup
		wins := make(chan string, workers)
		errs := make(chan error, workers)
		for i := range workers {
			wg.Go(func() {
				ok, err := claim(b, fmt.Sprintf("w%d", i), "", t0.Add(time.Second))
				if err != nil {
					errs <- err
				}
				if ok {
					wins <- fmt.Sprintf("w%d", i)
				}
			})
		}
		wg.Wait()
		close(wins)
		close(errs)
		for err := range errs {
			t.Errorf("claim: %v", err)
		}
		var winners []string
		for w := range wins {
			winners = append(winners, w)
		}
		if len(winners) != 1 {
			t.Fatalf("%d workers raced for one step; winners %v, want exactly one", workers, winners)
		}
	})

	t.Run("ExtendKeepsTheVersion", func(t *testing.T) {
		t.Parallel()
		b := due(t)
		ok, err := claim(b, "w1", "", t0.Add(time.Second))
		must(t, err)
		if !ok {
			t.Fatal("claim failed")
		}
		before, err := b.store.StageGet(b.ctx, "exec-1", "zeta")
		must(t, err)
		until := t0.Add(time.Hour)
		extend := func(claimant string) bool {
			ok, err := b.store.StageClaimExtend(b.ctx, store.StageClaimExtendParams{ExecutionID: "exec-1", Stage: "zeta", Claimant: claimant, Until: until})
			must(t, err)
			return ok
		}
		if extend("w2") {
			t.Fatal("another worker renewed w1's claim")
		}
		if !extend("w1") {
			t.Fatal("the holder could not renew its claim")
		}
		after, err := b.store.StageGet(b.ctx, "exec-1", "zeta")
		must(t, err)
		if after.Version != before.Version || after.ClaimUntil == nil || !after.ClaimUntil.Equal(until) || after.ClaimedBy != "w1" {
			t.Fatalf("after renewal: version %d (was %d), claim %q until %v; want the version kept, w1 until %v",
				after.Version, before.Version, after.ClaimedBy, after.ClaimUntil, until)
		}
		// Past the old expiry, the renewed claim still holds.
		if ok, err := claim(b, "w2", "", t0.Add(30*time.Minute)); err != nil || ok {
			t.Fatalf("w2 took a renewed claim before its new expiry: %v %v", ok, err)
		}
		if !extend("w1") {
			t.Fatal("renewing twice failed")
		}
	})

	t.Run("Due", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for i, at := range []time.Time{t0.Add(2 * time.Second), t0, t0.Add(time.Hour)} {
			exec := newExecution(fmt.Sprintf("exec-%d", i), "checkout", "ship", t0)
			exec.Stages[0].WakeAt = ptr(at)
			insertExecution(t, b, exec)
		}
		waiting := newExecution("exec-w", "checkout", "ship", t0)
		waiting.Stages[0].Status, waiting.Stages[0].WakeAt = model.StageWaiting, ptr(t0.Add(time.Second))
		insertExecution(t, b, waiting)
		noTimer := newExecution("exec-n", "checkout", "ship", t0)
		noTimer.Stages[0].Status = model.StageWaiting
		insertExecution(t, b, noTimer)
		ended := newExecution("exec-e", "checkout", "ship", t0)
		ended.Stages[0].Status, ended.Stages[0].WakeAt = model.StageSucceeded, ptr(t0)
		insertExecution(t, b, ended)

		now := t0.Add(5 * time.Second)
		got, err := b.store.StageDue(b.ctx, store.StageDueParams{Now: now})
		must(t, err)
		want := []string{"exec-1", "exec-w", "exec-0"} // soonest first; not the one due in an hour, the one without a timer, the ended one
		if ids := refIDs(got); fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Fatalf("due at +5s: %v, want %v", ids, want)
		}
		if !got[0].WakeAt.Equal(t0) || got[0].Stage != "zeta" {
			t.Fatalf("first due: %+v, want zeta at %v", got[0], t0)
		}
		got, err = b.store.StageDue(b.ctx, store.StageDueParams{Now: now, Before: t0.Add(2 * time.Hour), Limit: 2})
		must(t, err)
		if ids := refIDs(got); fmt.Sprint(ids) != fmt.Sprint(want[:2]) {
			t.Fatalf("due by +2h, limit 2: %v, want %v", ids, want[:2])
		}
		// A held stage is not due; an expired claim is.
		if ok, err := b.store.StageClaim(b.ctx, store.StageClaimParams{ExecutionID: "exec-1", Stage: "zeta", Claimant: "w1", Now: now, Until: now.Add(time.Minute)}); err != nil || !ok {
			t.Fatalf("claim: ok=%v err=%v", ok, err)
		}
		got, err = b.store.StageDue(b.ctx, store.StageDueParams{Now: now})
		must(t, err)
		if ids := refIDs(got); fmt.Sprint(ids) != fmt.Sprint([]string{"exec-w", "exec-0"}) {
			t.Fatalf("due with exec-1 held: %v, want [exec-w exec-0]", ids)
		}
		got, err = b.store.StageDue(b.ctx, store.StageDueParams{Now: now.Add(time.Minute)})
		must(t, err)
		if ids := refIDs(got); fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Fatalf("due once exec-1's claim expired: %v, want %v", ids, want)
		}
		// A stage given a job just now is left to it; one given a job long
		// ago (the job was lost) is not.
		queued := newExecution("exec-q", "checkout", "ship", t0)
		queued.Stages[0].WakeAt, queued.Stages[0].QueuedAt = ptr(t0.Add(500*time.Millisecond)), ptr(now)
		insertExecution(t, b, queued)
		got, err = b.store.StageDue(b.ctx, store.StageDueParams{Now: now, QueuedBefore: now.Add(-time.Minute)})
		must(t, err)
		if ids := refIDs(got); fmt.Sprint(ids) != fmt.Sprint([]string{"exec-w", "exec-0"}) {
			t.Fatalf("due with exec-q's job queued a moment ago: %v, want [exec-w exec-0]", ids)
		}
		got, err = b.store.StageDue(b.ctx, store.StageDueParams{Now: now, QueuedBefore: now})
		must(t, err)
		if ids := refIDs(got); fmt.Sprint(ids) != fmt.Sprint([]string{"exec-q", "exec-w", "exec-0"}) {
			t.Fatalf("due once exec-q's job counts as lost: %v, want [exec-q exec-w exec-0]", ids)
		}
		// A claim clears QueuedAt.
		if ok, err := b.store.StageClaim(b.ctx, store.StageClaimParams{ExecutionID: "exec-q", Stage: "zeta", Claimant: "w2", Now: now, Until: now.Add(time.Minute)}); err != nil || !ok {
			t.Fatalf("claim exec-q: ok=%v err=%v", ok, err)
		}
		st, err := b.store.StageGet(b.ctx, "exec-q", "zeta")
		must(t, err)
		if st.QueuedAt != nil {
			t.Fatalf("a claim left QueuedAt %v", st.QueuedAt)
		}
		// A restart drops claims and queued marks: due again at once.
		st, err = b.store.StageGet(b.ctx, "exec-0", "zeta")
		must(t, err)
		st.QueuedAt = ptr(now)
		must(t, b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StageRunning}}))
		n, err := b.store.StageReleaseClaims(b.ctx)
		must(t, err)
		if n != 3 {
			t.Fatalf("StageReleaseClaims changed %d stages, want 3 (two claims, one queued mark)", n)
		}
		got, err = b.store.StageDue(b.ctx, store.StageDueParams{Now: now, QueuedBefore: now.Add(-time.Minute)})
		must(t, err)
		if ids := refIDs(got); fmt.Sprint(ids) != fmt.Sprint([]string{"exec-1", "exec-q", "exec-w", "exec-0"}) {
			t.Fatalf("due after releasing claims and queued marks: %v, want [exec-1 exec-q exec-w exec-0]", ids)
		}
	})
}

func refIDs(refs []store.StageRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.ExecutionID
	}
	return out
}
