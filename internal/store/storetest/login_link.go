package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// testLoginLink covers one-time login links: each opens at most one session,
// however many callers race for it.
func testLoginLink(t *testing.T, d Driver) {
	t.Run("ConsumeOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.TokenInsert(b.ctx, newToken("tok-1", "ci", t0)))
		link := newLoginLink("link-1", "tok-1")
		must(t, b.store.LoginLinkInsert(b.ctx, link))
		wantErrIs(t, b.store.LoginLinkInsert(b.ctx, newLoginLink("link-1", "tok-1")), store.ErrConflict)

		got, err := b.store.LoginLinkConsume(b.ctx, "link-1", t0)
		must(t, err)
		if want := utcLoginLink(*link); !reflect.DeepEqual(*got, want) {
			t.Fatalf("LoginLinkConsume:\n got %+v\nwant %+v", *got, want)
		}
		_, err = b.store.LoginLinkConsume(b.ctx, "link-1", t0)
		wantErrIs(t, err, store.ErrNotFound)
		_, err = b.store.LoginLinkConsume(b.ctx, "never-was", t0)
		wantErrIs(t, err, store.ErrNotFound)
	})

	t.Run("Expiry", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.TokenInsert(b.ctx, newToken("tok-1", "ci", t0)))
		link := newLoginLink("link-1", "tok-1")
		must(t, b.store.LoginLinkInsert(b.ctx, link))

		_, err := b.store.LoginLinkConsume(b.ctx, "link-1", link.ExpiresAt.In(time.UTC))
		wantErrIs(t, err, store.ErrNotFound)
		// The refused attempt did not use the link up.
		got, err := b.store.LoginLinkConsume(b.ctx, "link-1", link.ExpiresAt.Add(-store.TimePrecision))
		must(t, err)
		if got.ID != "link-1" || got.TokenID != "tok-1" {
			t.Fatalf("LoginLinkConsume just before expiry = %+v", *got)
		}
	})

	t.Run("UnknownToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		wantErrIs(t, b.store.LoginLinkInsert(b.ctx, newLoginLink("link-1", "nope")), store.ErrNotFound)
	})

	t.Run("ConcurrentConsumers", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.TokenInsert(b.ctx, newToken("tok-1", "ci", t0)))
		const rounds, links, consumers = 5, 20, 16
		for r := range rounds {
			id := func(i int) string { return fmt.Sprintf("link-%d-%d", r, i%links) }
			for i := range links {
				must(t, b.store.LoginLinkInsert(b.ctx, newLoginLink(id(i), "tok-1")))
			}
			// Every consumer of every link starts at once.
			errs := race(links*consumers, func(i int) error {
				_, err := b.store.LoginLinkConsume(b.ctx, id(i), t0)
				return err
			})
			for i := range links {
				var mine []error
				for j := i; j < len(errs); j += links {
					mine = append(mine, errs[j])
				}
				wantOneWinner(t, "LoginLinkConsume of "+id(i), mine, store.ErrNotFound)
			}
		}
	})
}

func newLoginLink(id, tokenID string) *model.LoginLink {
	return &model.LoginLink{ID: id, TokenID: tokenID, CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
}

func utcLoginLink(l model.LoginLink) model.LoginLink {
	l.CreatedAt = l.CreatedAt.UTC()
	l.ExpiresAt = l.ExpiresAt.UTC()
	return l
}
