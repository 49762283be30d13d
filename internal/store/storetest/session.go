package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// testSession covers browser sessions. A session (like a login link) has
// expired at now when its expiry is not after now, as model.Token.Active
// reads a token's.
func testSession(t *testing.T, d Driver) {
	t.Run("InsertGetDelete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		user := newSession("s-user", t0.Add(8*time.Hour))
		tok := newSession("s-token", t0.Add(-time.Hour)) // expired: still returned
		tok.Identity = model.Identity{Subject: "token:ci", Kind: model.IdentityToken, TokenID: "tok-1"}
		for _, s := range []*model.Session{user, tok} {
			must(t, b.store.SessionInsert(b.ctx, s))
			got, err := b.store.SessionGet(b.ctx, s.ID)
			must(t, err)
			if want := utcSession(*s); !reflect.DeepEqual(*got, want) {
				t.Fatalf("SessionGet:\n got %+v\nwant %+v", *got, want)
			}
		}
		wantErrIs(t, b.store.SessionInsert(b.ctx, newSession("s-user", t0)), store.ErrConflict)

		must(t, b.store.SessionDelete(b.ctx, "s-user"))
		_, err := b.store.SessionGet(b.ctx, "s-user")
		wantErrIs(t, err, store.ErrNotFound)
		must(t, b.store.SessionDelete(b.ctx, "s-user")) // already gone: no error
		must(t, b.store.SessionDelete(b.ctx, "never-was"))
		if _, err := b.store.SessionGet(b.ctx, "s-token"); err != nil {
			t.Fatalf("SessionDelete removed another session: %v", err)
		}
	})

	t.Run("DeleteExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		now := t0
		sessions := map[string]time.Time{
			"past":     now.Add(-time.Hour),
			"at-now":   now,
			"next-us":  now.Add(store.TimePrecision),
			"tomorrow": now.Add(24 * time.Hour),
		}
		for id, expires := range sessions {
			must(t, b.store.SessionInsert(b.ctx, newSession(id, expires)))
		}
		n, err := b.store.SessionDeleteExpired(b.ctx, now.In(time.UTC))
		must(t, err)
		if n != 2 {
			t.Fatalf("SessionDeleteExpired removed %d sessions, want 2 (past, at-now)", n)
		}
		for id := range sessions {
			_, err := b.store.SessionGet(b.ctx, id)
			switch id {
			case "past", "at-now":
				wantErrIs(t, err, store.ErrNotFound)
			default:
				must(t, err)
			}
		}
		n, err = b.store.SessionDeleteExpired(b.ctx, now)
		must(t, err)
		if n != 0 {
			t.Fatalf("second SessionDeleteExpired removed %d sessions, want 0", n)
		}
	})
}

func newSession(id string, expiresAt time.Time) *model.Session {
	return &model.Session{
		ID: id,
		Identity: model.Identity{
			Subject: "ada@example.com", Kind: model.IdentityUser, Name: "Ada",
			Groups: []string{"eng-payments", "sre"},
		},
		CreatedAt: t0.Add(-time.Hour),
		ExpiresAt: expiresAt,
		Source:    "192.0.2.7",
	}
}

func utcSession(s model.Session) model.Session {
	s.CreatedAt = s.CreatedAt.UTC()
	s.ExpiresAt = s.ExpiresAt.UTC()
	return s
}
