package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// A reader following the audit log by ID (AfterID) while appends commit
// slowly and concurrently must see every entry: IDs are drawn under the
// chain's lock, which is held to commit, so no entry ever commits with an
// ID below one a reader has already passed.
func TestAuditFollowerSkipsNothing(t *testing.T) {
	t.Parallel()
	s := openFresh(t)
	ctx := t.Context()
	const writers, each = 6, 20

	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				errs <- s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
					e := &model.AuditEntry{Actor: fmt.Sprintf("writer-%d", w), Action: model.AuditRun, Outcome: model.AuditOK}
					if err := tx.AuditAppend(ctx, e); err != nil {
						return err
					}
					time.Sleep(time.Duration(i%3) * time.Millisecond) // commit a little later
					return nil
				})
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[int64]bool{}
	var after int64
	follow := func() {
		page, err := s.AuditList(ctx, store.AuditListParams{AfterID: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			seen[e.ID] = true
			after = e.ID
		}
	}
	for following := true; following; {
		select {
		case <-done:
			following = false
		default:
		}
		follow()
	}
	follow()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	if len(seen) != writers*each {
		t.Fatalf("the follower saw %d of %d entries: an entry committed with an ID below one it had passed", len(seen), writers*each)
	}
}
