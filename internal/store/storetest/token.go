package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testToken(t *testing.T, d Driver) {
	t.Run("InsertGetRoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		tok := newToken("tok-1", "ci", t0)
		tok.Scope = model.Scope{Application: "checkout", Environments: []string{"staging"}}
		must(t, b.store.TokenInsert(b.ctx, tok))

		got, err := b.store.TokenGet(b.ctx, "tok-1")
		must(t, err)
		if want := utcToken(*tok); !reflect.DeepEqual(*got, want) {
			t.Fatalf("TokenGet:\n got %+v\nwant %+v", *got, want)
		}
	})

	t.Run("NameUniqueAmongActive", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.TokenInsert(b.ctx, newToken("tok-1", "ci", t0)))

		err := b.store.TokenInsert(b.ctx, newToken("tok-2", "ci", t0))
		wantErrIs(t, err, store.ErrConflict)
		if !strings.Contains(err.Error(), `"ci"`) {
			t.Errorf("conflict error %q does not name the token", err)
		}
		wantErrIs(t, b.store.TokenInsert(b.ctx, newToken("tok-1", "other", t0)), store.ErrConflict)

		at := t0.Add(time.Hour)
		revoked, err := b.store.TokenRevoke(b.ctx, store.TokenRevokeParams{Name: "ci", By: "ada", At: at})
		must(t, err)
		if revoked.ID != "tok-1" || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(at) ||
			revoked.RevokedAt.Location() != time.UTC || revoked.RevokedBy != "ada" {
			t.Fatalf("TokenRevoke returned %+v, want tok-1 revoked by ada at %v (UTC)", *revoked, at.UTC())
		}
		got, err := b.store.TokenGet(b.ctx, "tok-1")
		must(t, err)
		if !reflect.DeepEqual(got, revoked) {
			t.Fatalf("TokenGet after revoke:\n got %+v\nwant %+v", *got, *revoked)
		}

		// The revoked token's name is free again, once.
		must(t, b.store.TokenInsert(b.ctx, newToken("tok-2", "ci", t0.Add(2*time.Hour))))
		wantErrIs(t, b.store.TokenInsert(b.ctx, newToken("tok-3", "ci", t0)), store.ErrConflict)
		revoked, err = b.store.TokenRevoke(b.ctx, store.TokenRevokeParams{Name: "ci", By: "ada", At: at})
		must(t, err)
		if revoked.ID != "tok-2" {
			t.Fatalf("second TokenRevoke(ci) revoked %s, want tok-2 (the only active one)", revoked.ID)
		}
	})

	t.Run("RevokeNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.TokenInsert(b.ctx, newToken("tok-1", "ci", t0)))
		_, err := b.store.TokenRevoke(b.ctx, store.TokenRevokeParams{Name: "ci", By: "ada", At: t0})
		must(t, err)
		for _, name := range []string{"ci", "nope"} {
			_, err := b.store.TokenRevoke(b.ctx, store.TokenRevokeParams{Name: name, By: "ada", At: t0})
			wantErrIs(t, err, store.ErrNotFound)
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
				t.Errorf("not-found error %q does not name the token", err)
			}
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		// Two tokens named ci: the older revoked. IDs do not follow
		// creation order, so the list must order by time, not ID.
		oldCI, newCI := newToken("tok-z", "ci", t0), newToken("tok-a", "ci", t0.Add(time.Hour))
		// Expired as soon as created: still listed (the caller shows it as expired).
		expired := newToken("tok-e", "alpha", t0.Add(2*time.Hour))
		expired.ExpiresAt = expired.CreatedAt
		zeta := newToken("tok-m", "zeta", t0)
		for _, tok := range []*model.Token{zeta, oldCI} {
			must(t, b.store.TokenInsert(b.ctx, tok))
		}
		r, err := b.store.TokenRevoke(b.ctx, store.TokenRevokeParams{Name: "ci", By: "ada", At: t0.Add(time.Minute)})
		must(t, err)
		oldCI = r
		for _, tok := range []*model.Token{newCI, expired} {
			must(t, b.store.TokenInsert(b.ctx, tok))
		}

		cases := []struct {
			name   string
			params store.TokenListParams
			want   []string
		}{
			{"ActiveAndExpired", store.TokenListParams{}, []string{"tok-e", "tok-a", "tok-m"}},
			{"IncludeRevoked", store.TokenListParams{IncludeRevoked: true}, []string{"tok-e", "tok-z", "tok-a", "tok-m"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.store.TokenList(b.ctx, tc.params)
				must(t, err)
				var ids []string
				for _, tok := range got {
					ids = append(ids, tok.ID)
				}
				if !reflect.DeepEqual(ids, tc.want) {
					t.Fatalf("TokenList(%+v) = %v, want %v (by name, then creation time)", tc.params, ids, tc.want)
				}
			})
		}
		all, err := b.store.TokenList(b.ctx, store.TokenListParams{IncludeRevoked: true})
		must(t, err)
		want := []model.Token{utcToken(*expired), *oldCI, utcToken(*newCI), utcToken(*zeta)}
		if !reflect.DeepEqual(all, want) {
			t.Fatalf("TokenList:\n got %+v\nwant %+v", all, want)
		}
	})

	t.Run("ConcurrentSameName", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		const n = 16
		insertErrs := race(n, func(i int) error {
			return b.store.TokenInsert(b.ctx, newToken(fmt.Sprintf("tok-%02d", i), "ci", t0))
		})
		wantOneWinner(t, "TokenInsert of the same name", insertErrs, store.ErrConflict)

		revokeErrs := race(n, func(int) error {
			_, err := b.store.TokenRevoke(b.ctx, store.TokenRevokeParams{Name: "ci", By: "ada", At: t0})
			return err
		})
		wantOneWinner(t, "TokenRevoke of the same name", revokeErrs, store.ErrNotFound)
	})
}

// race runs call(0..n-1) in n goroutines started together and returns their errors.
func race(n int, call func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = call(i)
		})
	}
	start.Done()
	done.Wait()
	return errs
}

// wantOneWinner checks that exactly one call succeeded and every other
// failed with loser.
func wantOneWinner(t *testing.T, what string, errs []error, loser error) {
	t.Helper()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, loser):
			t.Fatalf("%s: a losing call failed with %v, want one that is %q", what, err, loser)
		}
	}
	if wins != 1 {
		t.Fatalf("%s: %d of %d concurrent calls succeeded, want exactly 1", what, wins, len(errs))
	}
}

func newToken(id, name string, createdAt time.Time) *model.Token {
	return &model.Token{
		ID:        id,
		Name:      name,
		Hash:      "hash-of-" + id,
		Role:      model.RoleDeployer,
		Scope:     model.Scope{Team: "payments"},
		CreatedBy: "ada@example.com",
		Owner:     "ada@example.com",
		CreatedAt: createdAt,
		ExpiresAt: createdAt.Add(90 * 24 * time.Hour),
	}
}

// utcToken returns a copy of tok with every time in UTC, as a store returns it.
func utcToken(tok model.Token) model.Token {
	tok.CreatedAt = tok.CreatedAt.UTC()
	tok.ExpiresAt = tok.ExpiresAt.UTC()
	tok.RevokedAt = utcPtr(tok.RevokedAt)
	return tok
}
