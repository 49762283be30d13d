package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testServerGroup(t *testing.T, d Driver) {
	t.Run("NextSequence", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		wantNextSequence(t, b, "checkout", "prod", 1)
		must(t, b.store.ServerGroupInsert(b.ctx, newServerGroup("checkout", "prod", 1, model.ServerGroupUp)))
		must(t, b.store.ServerGroupInsert(b.ctx, newServerGroup("checkout", "prod", 2, model.ServerGroupDestroyed)))
		// Destroyed server groups still count: names are never reused.
		wantNextSequence(t, b, "checkout", "prod", 3)
		// Sequences count per environment, as Spinnaker's count per cluster.
		wantNextSequence(t, b, "checkout", "staging", 1)
		wantNextSequence(t, b, "billing", "prod", 1)
	})

	t.Run("InsertGetRoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sg := newServerGroup("checkout", "prod", 1, model.ServerGroupCreating)
		sg.LastGood = true
		sg.Role = model.RoleCanary
		must(t, b.store.ServerGroupInsert(b.ctx, sg))
		got, err := b.store.ServerGroupGet(b.ctx, sg.Environment, sg.Name)
		must(t, err)
		want := *sg
		want.CreatedAt, want.UpdatedAt = want.CreatedAt.UTC(), want.UpdatedAt.UTC()
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("ServerGroupGet:\n got %+v\nwant %+v", *got, want)
		}
	})

	t.Run("SameNameInTwoEnvironments", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		staging := newServerGroup("checkout", "staging", 1, model.ServerGroupUp)
		prod := newServerGroup("checkout", "prod", 1, model.ServerGroupCreating)
		prod.Version = "2.0.0"
		must(t, b.store.ServerGroupInsert(b.ctx, staging))
		must(t, b.store.ServerGroupInsert(b.ctx, prod))
		if staging.Name != prod.Name {
			t.Fatalf("fixture names differ: %s and %s", staging.Name, prod.Name)
		}
		// An update reaches the group of its environment only.
		must(t, b.store.ServerGroupUpdate(b.ctx, store.ServerGroupUpdateParams{
			Environment: "prod", Name: prod.Name, From: []model.ServerGroupStatus{model.ServerGroupCreating},
			Status: ptr(model.ServerGroupUp), Weight: ptr(100),
		}))
		gotProd, err := b.store.ServerGroupGet(b.ctx, "prod", prod.Name)
		must(t, err)
		gotStaging, err := b.store.ServerGroupGet(b.ctx, "staging", staging.Name)
		must(t, err)
		if gotProd.Version != "2.0.0" || gotProd.Weight != 100 || gotProd.Status != model.ServerGroupUp {
			t.Fatalf("prod group after update = %+v, want version 2.0.0, weight 100, up", *gotProd)
		}
		if gotStaging.Version != staging.Version || gotStaging.Weight != 0 {
			t.Fatalf("staging group = %+v: the prod update reached it (version %s, weight 0 expected)", *gotStaging, staging.Version)
		}
		// A guarded update checks the status in its own environment.
		err = b.store.ServerGroupUpdate(b.ctx, store.ServerGroupUpdateParams{
			Environment: "staging", Name: staging.Name, From: []model.ServerGroupStatus{model.ServerGroupCreating},
			Status: ptr(model.ServerGroupDestroyed),
		})
		wantErrIs(t, err, store.ErrConflict)
		_, err = b.store.ServerGroupGet(b.ctx, "qa", prod.Name)
		wantErrIs(t, err, store.ErrNotFound)
		// A name alone is refused, not read as "not found".
		if _, err := b.store.ServerGroupGet(b.ctx, "", prod.Name); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ServerGroupGet without an environment: %v, want an error saying to pass one", err)
		}
		if err := b.store.ServerGroupUpdate(b.ctx, store.ServerGroupUpdateParams{Name: prod.Name, Weight: ptr(0)}); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ServerGroupUpdate without an environment: %v, want an error saying to pass one", err)
		}
	})

	t.Run("DuplicateInsert", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.ServerGroupInsert(b.ctx, newServerGroup("checkout", "prod", 1, model.ServerGroupUp)))
		err := b.store.ServerGroupInsert(b.ctx, newServerGroup("checkout", "prod", 1, model.ServerGroupUp))
		wantErrIs(t, err, store.ErrConflict)

		sameSeq := newServerGroup("checkout", "prod", 1, model.ServerGroupUp)
		sameSeq.Name = "another-name"
		wantErrIs(t, b.store.ServerGroupInsert(b.ctx, sameSeq), store.ErrConflict)
	})

	t.Run("GuardedUpdate", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sg := newServerGroup("checkout", "prod", 1, model.ServerGroupCreating)
		must(t, b.store.ServerGroupInsert(b.ctx, sg))

		must(t, b.store.ServerGroupUpdate(b.ctx, store.ServerGroupUpdateParams{
			Environment: sg.Environment, Name: sg.Name, From: []model.ServerGroupStatus{model.ServerGroupCreating},
			Status: ptr(model.ServerGroupUp), Weight: ptr(100), LastGood: ptr(true),
		}))
		got, err := b.store.ServerGroupGet(b.ctx, sg.Environment, sg.Name)
		must(t, err)
		if got.Status != model.ServerGroupUp || got.Weight != 100 || !got.LastGood ||
			got.Instances != sg.Instances || got.RolledBack || got.Version != sg.Version {
			t.Fatalf("after update got %+v (only status, weight and lastGood should change)", *got)
		}
		if got.UpdatedAt.Before(got.CreatedAt) || got.UpdatedAt.Location() != time.UTC {
			t.Fatalf("UpdatedAt = %v, want a UTC time not before CreatedAt %v", got.UpdatedAt, got.CreatedAt)
		}

		err = b.store.ServerGroupUpdate(b.ctx, store.ServerGroupUpdateParams{
			Environment: sg.Environment, Name: sg.Name, From: []model.ServerGroupStatus{model.ServerGroupCreating}, Status: ptr(model.ServerGroupDestroyed),
		})
		wantErrIs(t, err, store.ErrConflict)

		// No From: any status.
		must(t, b.store.ServerGroupUpdate(b.ctx, store.ServerGroupUpdateParams{
			Environment: sg.Environment, Name: sg.Name, Instances: ptr(0), RolledBack: ptr(true), LastGood: ptr(false),
		}))
		got, err = b.store.ServerGroupGet(b.ctx, sg.Environment, sg.Name)
		must(t, err)
		if got.Status != model.ServerGroupUp || got.Instances != 0 || !got.RolledBack || got.LastGood || got.Weight != 100 {
			t.Fatalf("after unguarded update got %+v", *got)
		}

		if err := b.store.ServerGroupUpdate(b.ctx, store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Weight: ptr(101)}); err == nil {
			t.Fatal("weight 101 was accepted; weights are percentages (0-100)")
		}
	})

	t.Run("ListFilters", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		staging := newServerGroup("checkout", "staging", 1, model.ServerGroupUp)
		staging.CreatedAt = t0.Add(90 * time.Second)
		billing := newServerGroup("billing", "prod", 1, model.ServerGroupUp)
		billing.CreatedAt = t0
		for _, sg := range []*model.ServerGroup{
			newServerGroup("checkout", "prod", 1, model.ServerGroupDestroyed), // t0+1m
			newServerGroup("checkout", "prod", 2, model.ServerGroupDisabled),  // t0+2m
			newServerGroup("checkout", "prod", 3, model.ServerGroupUp),        // t0+3m
			staging,
			billing,
		} {
			must(t, b.store.ServerGroupInsert(b.ctx, sg))
		}
		name := func(app, _ string, seq int) string { return model.ServerGroupName(app, seq) }
		cases := []struct {
			name   string
			params store.ServerGroupListParams
			want   []string
		}{
			{"Live", store.ServerGroupListParams{}, []string{
				name("billing", "prod", 1), name("checkout", "staging", 1), name("checkout", "prod", 2), name("checkout", "prod", 3)}},
			{"AppEnv", store.ServerGroupListParams{Application: "checkout", Environment: "prod"}, []string{
				name("checkout", "prod", 2), name("checkout", "prod", 3)}},
			{"IncludeDestroyed", store.ServerGroupListParams{Application: "checkout", Environment: "prod", IncludeDestroyed: true}, []string{
				name("checkout", "prod", 1), name("checkout", "prod", 2), name("checkout", "prod", 3)}},
			{"Environment", store.ServerGroupListParams{Environment: "staging"}, []string{name("checkout", "staging", 1)}},
			{"NoMatch", store.ServerGroupListParams{Application: "nope"}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.store.ServerGroupList(b.ctx, tc.params)
				must(t, err)
				var names []string
				for _, sg := range got {
					names = append(names, sg.Name)
				}
				if !slices.Equal(names, tc.want) {
					t.Fatalf("ServerGroupList(%+v) = %v, want oldest first %v", tc.params, names, tc.want)
				}
			})
		}
	})
}

func wantNextSequence(t *testing.T, b *bundle, app, env string, want int) {
	t.Helper()
	got, err := b.store.ServerGroupNextSequence(b.ctx, app, env)
	must(t, err)
	if got != want {
		t.Fatalf("ServerGroupNextSequence(%s, %s) = %d, want %d", app, env, got, want)
	}
}
