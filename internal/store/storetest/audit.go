package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testAudit(t *testing.T, d Driver) {
	t.Run("AppendAndList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		entries := []*model.AuditEntry{
			newAudit("ada", "checkout", model.AuditDeploy, t0, `{ "version": "1.2.3",  "environment": "prod" }`),
			newAudit("bob", "billing", model.AuditRun, t0.Add(time.Minute), ``),
			newAudit("ada", "", model.AuditTokenCreate, t0.Add(2*time.Minute), `{"name":"ci"}`),
			newAudit("anonymous", "checkout", model.AuditAccess, t0.Add(3*time.Minute), `{"reason":"no grant"}`),
			newAudit("ada", "checkout", model.AuditRollback, t0.Add(4*time.Minute), `[1, 2.50, "x", null]`),
		}
		entries[3].Outcome = model.AuditRefused
		entries[4].Outcome = model.AuditFailed

		var ids []int64
		prev := ""
		for _, e := range entries {
			given := e.Time
			must(t, b.store.AuditAppend(b.ctx, e))
			if len(ids) > 0 && e.ID <= ids[len(ids)-1] {
				t.Fatalf("audit IDs must increase: %d after %d", e.ID, ids[len(ids)-1])
			}
			if want := given.UTC().Truncate(model.AuditTimePrecision); !e.Time.Equal(want) || e.Time.Location() != time.UTC {
				t.Fatalf("AuditAppend set Time %v, want %v (UTC, at AuditTimePrecision)", e.Time, want)
			}
			if e.PrevHash != prev || e.Hash != e.ChainHash(prev) {
				t.Fatalf("entry %d: PrevHash %q, Hash %q; want PrevHash %q and Hash = ChainHash(PrevHash)", e.ID, e.PrevHash, e.Hash, prev)
			}
			ids, prev = append(ids, e.ID), e.Hash
		}

		all, err := b.store.AuditList(b.ctx, store.AuditListParams{})
		must(t, err)
		if len(all) != len(entries) {
			t.Fatalf("AuditList returned %d entries, want %d", len(all), len(entries))
		}
		for i, got := range all {
			wantAuditEntry(t, got, *entries[i])
		}
		if brk := model.VerifyAuditChain("", all); brk != nil {
			t.Fatalf("the chain read back does not verify: %+v", *brk)
		}

		since := entries[2].Time
		cases := []struct {
			name   string
			params store.AuditListParams
			want   []int // indexes into ids
		}{
			{"AfterID", store.AuditListParams{AfterID: ids[1]}, []int{2, 3, 4}},
			{"Since", store.AuditListParams{Since: since}, []int{2, 3, 4}},
			{"SinceOtherZone", store.AuditListParams{Since: since.Add(store.TimePrecision).In(cet)}, []int{3, 4}},
			{"Actor", store.AuditListParams{Actor: "ada"}, []int{0, 2, 4}},
			{"Application", store.AuditListParams{Application: "checkout"}, []int{0, 3, 4}},
			{"ActorAndApplication", store.AuditListParams{Actor: "ada", Application: "checkout"}, []int{0, 4}},
			{"ActorAfterID", store.AuditListParams{Actor: "ada", AfterID: ids[0]}, []int{2, 4}},
			{"ApplicationSince", store.AuditListParams{Application: "checkout", Since: since}, []int{3, 4}},
			{"Limit", store.AuditListParams{Limit: 2}, []int{0, 1}},
			{"Newest", store.AuditListParams{Limit: 2, Newest: true}, []int{3, 4}},
			{"NewestActor", store.AuditListParams{Actor: "ada", Limit: 2, Newest: true}, []int{2, 4}},
			{"NewestApplication", store.AuditListParams{Application: "checkout", Limit: 2, Newest: true}, []int{3, 4}},
			{"NewestAfterID", store.AuditListParams{AfterID: ids[3], Limit: 3, Newest: true}, []int{4}},
			{"NoMatch", store.AuditListParams{Actor: "nobody"}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.store.AuditList(b.ctx, tc.params)
				must(t, err)
				var want []int64
				for _, i := range tc.want {
					want = append(want, ids[i])
				}
				if g := auditIDs(got); !slices.Equal(g, want) {
					t.Fatalf("AuditList(%+v) IDs = %v, want %v", tc.params, g, want)
				}
			})
		}
	})

	t.Run("ZeroTimeIsNow", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		e := newAudit("ada", "", model.AuditLogin, time.Time{}, ``)
		must(t, b.store.AuditAppend(b.ctx, e))
		if e.Time.IsZero() || e.Time.Location() != time.UTC || !e.Time.Equal(e.Time.Truncate(model.AuditTimePrecision)) {
			t.Fatalf("AuditAppend with a zero Time set %v, want now in UTC at AuditTimePrecision", e.Time)
		}
		all, err := b.store.AuditList(b.ctx, store.AuditListParams{})
		must(t, err)
		if len(all) != 1 {
			t.Fatalf("AuditList returned %d entries, want 1", len(all))
		}
		wantAuditEntry(t, all[0], *e)
	})

	t.Run("RefusesBadEntries", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		badOutcome := newAudit("ada", "", model.AuditLogin, t0, ``)
		badOutcome.Outcome = "maybe"
		badDetail := newAudit("ada", "", model.AuditLogin, t0, `{"unterminated":`)
		for name, e := range map[string]*model.AuditEntry{"outcome": badOutcome, "detail": badDetail} {
			if err := b.store.AuditAppend(b.ctx, e); err == nil {
				t.Errorf("AuditAppend with a bad %s succeeded", name)
			}
		}
		// Nothing was appended: the next entry starts the chain.
		e := newAudit("ada", "", model.AuditLogin, t0, ``)
		must(t, b.store.AuditAppend(b.ctx, e))
		if e.PrevHash != "" {
			t.Fatalf("first accepted entry has PrevHash %q, want \"\"", e.PrevHash)
		}
	})

	t.Run("InTx", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		first := newAudit("ada", "checkout", model.AuditDeploy, t0, ``)
		must(t, b.store.AuditAppend(b.ctx, first))

		// An append in a transaction that rolls back leaves nothing.
		errBoom := errors.New("boom")
		err := b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			e := newAudit("bob", "checkout", model.AuditCancel, t0.Add(time.Minute), `{"why":"rolled back"}`)
			if err := tx.AuditAppend(ctx, e); err != nil {
				return err
			}
			return errBoom
		})
		wantErrIs(t, err, errBoom)
		all, err := b.store.AuditList(b.ctx, store.AuditListParams{})
		must(t, err)
		if len(all) != 1 {
			t.Fatalf("after a rolled back append: %d entries, want 1", len(all))
		}

		// The next append chains to the last committed entry...
		second := newAudit("bob", "checkout", model.AuditCancel, t0.Add(2*time.Minute), ``)
		must(t, b.store.AuditAppend(b.ctx, second))
		if second.PrevHash != first.Hash {
			t.Fatalf("append after a rollback chained to %q, want %q", second.PrevHash, first.Hash)
		}
		// ...and appends in one committed transaction chain to each other
		// (a driver may write them at the commit: they are read back).
		var third, fourth *model.AuditEntry
		must(t, b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			third = newAudit("ada", "checkout", model.AuditApprove, t0.Add(3*time.Minute), ``)
			fourth = newAudit("ada", "checkout", model.AuditRun, t0.Add(4*time.Minute), ``)
			if err := tx.AuditAppend(ctx, third); err != nil {
				return err
			}
			return tx.AuditAppend(ctx, fourth)
		}))
		all, err = b.store.AuditList(b.ctx, store.AuditListParams{})
		must(t, err)
		if len(all) != 4 {
			t.Fatalf("AuditList returned %d entries, want 4", len(all))
		}
		if all[2].PrevHash != all[1].Hash || all[3].PrevHash != all[2].Hash || all[2].Action != third.Action || all[3].Action != fourth.Action {
			t.Fatalf("appends in one transaction do not chain in order: %+v", all[2:])
		}
		if brk := model.VerifyAuditChain("", all); brk != nil {
			t.Fatalf("chain broken at entry %d: %s", brk.ID, brk.Reason)
		}
	})

	t.Run("ConcurrentAppends", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		const writers, each = 8, 50
		errs := make(chan error, writers*each)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				actor := fmt.Sprintf("writer-%d", w)
				for i := range each {
					e := newAudit(actor, "checkout", model.AuditRun, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf(`{"n":%d}`, i))
					if w%2 == 0 {
						errs <- b.store.AuditAppend(b.ctx, e)
						continue
					}
					// Odd writers append inside a transaction of their own.
					errs <- b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
						return tx.AuditAppend(ctx, e)
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}

		all, err := b.store.AuditList(b.ctx, store.AuditListParams{Limit: 1000})
		must(t, err)
		if len(all) != writers*each {
			t.Fatalf("AuditList returned %d entries, want %d", len(all), writers*each)
		}
		if brk := model.VerifyAuditChain("", all); brk != nil {
			t.Fatalf("concurrent appends broke the chain at entry %d: %s", brk.ID, brk.Reason)
		}
		prevs := map[string]int64{}
		for _, e := range all {
			if other, dup := prevs[e.PrevHash]; dup {
				t.Fatalf("entries %d and %d follow the same entry: the chain forked", other, e.ID)
			}
			prevs[e.PrevHash] = e.ID
		}
		for w := range writers {
			mine, err := b.store.AuditList(b.ctx, store.AuditListParams{Actor: fmt.Sprintf("writer-%d", w)})
			must(t, err)
			if len(mine) != each {
				t.Fatalf("writer-%d has %d entries, want %d", w, len(mine), each)
			}
		}
	})

	t.Run("Limits", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		const n = 1005
		must(t, b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			for range n {
				if err := tx.AuditAppend(ctx, newAudit("ada", "", model.AuditRun, t0, ``)); err != nil {
					return err
				}
			}
			return nil
		}))
		cases := []struct {
			name   string
			params store.AuditListParams
			want   int
			last   bool // the page ends at the newest entry
		}{
			{"Default", store.AuditListParams{}, 100, false},
			{"DefaultNewest", store.AuditListParams{Newest: true}, 100, true},
			{"Capped", store.AuditListParams{Limit: 5000}, 1000, false},
			{"CappedNewest", store.AuditListParams{Limit: 5000, Newest: true}, 1000, true},
		}
		all, err := b.store.AuditList(b.ctx, store.AuditListParams{Newest: true, Limit: 1})
		must(t, err)
		newest := all[0].ID
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.store.AuditList(b.ctx, tc.params)
				must(t, err)
				if len(got) != tc.want {
					t.Fatalf("AuditList(%+v) returned %d entries, want %d", tc.params, len(got), tc.want)
				}
				if !slices.IsSorted(auditIDs(got)) {
					t.Fatalf("AuditList(%+v) is not in ascending ID order", tc.params)
				}
				if end := got[len(got)-1].ID; (end == newest) != tc.last {
					t.Fatalf("AuditList(%+v) ends at entry %d; the newest is %d", tc.params, end, newest)
				}
			})
		}
	})

	t.Run("AppendOnly", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.AuditAppend(b.ctx, newAudit("ada", "", model.AuditLogin, t0, ``)))
		wantAppendOnly(t, b, "Audit", "audit", "UPDATE audit SET actor = 'mallory'", "AuditAppend", "AuditList")
		got, err := b.store.AuditList(b.ctx, store.AuditListParams{})
		must(t, err)
		if len(got) != 1 || got[0].Actor != "ada" {
			t.Fatalf("audit entry changed: %+v", got)
		}
	})
}

func newAudit(actor, app string, action model.AuditAction, at time.Time, detail string) *model.AuditEntry {
	e := &model.AuditEntry{
		Time:        at,
		Actor:       actor,
		Source:      "192.0.2.7",
		Action:      action,
		Application: app,
		Outcome:     model.AuditOK,
	}
	if app != "" {
		e.Object = "Application/" + app
	}
	if detail != "" {
		e.Detail = json.RawMessage(detail)
	}
	return e
}

// wantAuditEntry compares an entry read back with the one appended. Detail
// may come back in another layout (a store may normalize JSON) but must be
// the same document, and the entry must still hash to its Hash.
func wantAuditEntry(t *testing.T, got, want model.AuditEntry) {
	t.Helper()
	if !sameJSON(got.Detail, want.Detail) {
		t.Fatalf("entry %d: Detail %s, want the document %s", want.ID, got.Detail, want.Detail)
	}
	if got.Time.Location() != time.UTC {
		t.Fatalf("entry %d: Time %v is not in UTC", want.ID, got.Time)
	}
	if got.ChainHash(got.PrevHash) != got.Hash {
		t.Fatalf("entry %d read back does not hash to its Hash", want.ID)
	}
	got.Detail, want.Detail = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("audit entry read back:\n got %+v\nwant %+v", got, want)
	}
}

// sameJSON reports whether a and b are the same JSON document (both empty counts).
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func auditIDs(entries []model.AuditEntry) []int64 {
	var ids []int64
	for _, e := range entries {
		ids = append(ids, e.ID)
	}
	return ids
}
