package storetest

import (
	"reflect"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// testAccessConfig covers teams and grants: config objects applied with the
// rest of a config, in the same transaction.
func testAccessConfig(t *testing.T, d Driver) {
	payments := model.Team{Name: "payments", Description: "Checkout and billing", Groups: []string{"eng-payments"}, Members: []string{"ada@example.com"}}
	sre := model.Team{Name: "sre"}
	deployers := model.Grant{
		Name: "payments-deploy", Role: model.RoleDeployer,
		Subjects: []model.Subject{{Team: "payments"}, {User: "bob@example.com"}},
		Scope:    model.Scope{Team: "payments", Environments: []string{"staging", "prod"}},
	}
	admins := model.Grant{Name: "admins", Role: model.RoleAdmin, Subjects: []model.Subject{{Team: "sre"}}}

	t.Run("CreatedUpdatedUnchanged", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		cfg := model.Config{
			Applications: []model.Application{testApp("checkout")},
			Teams:        []model.Team{payments, sre},
			Grants:       []model.Grant{deployers, admins},
		}
		res, err := b.store.ConfigApply(b.ctx, cfg)
		must(t, err)
		wantNames(t, "created", res.Created, "Application/checkout",
			"Team/payments", "Team/sre", "Grant/payments-deploy", "Grant/admins")
		wantNames(t, "updated", res.Updated)
		wantNames(t, "unchanged", res.Unchanged)

		res, err = b.store.ConfigApply(b.ctx, cfg)
		must(t, err)
		wantNames(t, "created", res.Created)
		wantNames(t, "updated", res.Updated)
		wantNames(t, "unchanged", res.Unchanged, "Application/checkout",
			"Team/payments", "Team/sre", "Grant/payments-deploy", "Grant/admins")

		changedTeam := payments
		changedTeam.Members = []string{"ada@example.com", "cy@example.com"}
		changedGrant := deployers
		changedGrant.Role = model.RoleApprover
		res, err = b.store.ConfigApply(b.ctx, model.Config{
			Teams:  []model.Team{changedTeam, sre, {Name: "web"}},
			Grants: []model.Grant{changedGrant},
		})
		must(t, err)
		wantNames(t, "created", res.Created, "Team/web")
		wantNames(t, "updated", res.Updated, "Team/payments", "Grant/payments-deploy")
		wantNames(t, "unchanged", res.Unchanged, "Team/sre")

		teams, err := b.store.TeamList(b.ctx)
		must(t, err)
		if want := []model.Team{changedTeam, sre, {Name: "web"}}; !reflect.DeepEqual(teams, want) {
			t.Fatalf("TeamList:\n got %+v\nwant %+v (by name)", teams, want)
		}
		grants, err := b.store.GrantList(b.ctx)
		must(t, err)
		if want := []model.Grant{admins, changedGrant}; !reflect.DeepEqual(grants, want) {
			t.Fatalf("GrantList:\n got %+v\nwant %+v (by name)", grants, want)
		}
	})

	t.Run("EmptyLists", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		teams, err := b.store.TeamList(b.ctx)
		must(t, err)
		grants, err := b.store.GrantList(b.ctx)
		must(t, err)
		if len(teams)+len(grants) != 0 {
			t.Fatalf("fresh store lists teams %v and grants %v", teams, grants)
		}
	})

	t.Run("OneTransaction", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		// The grant without a name fails the apply: nothing of it is kept,
		// not the application or the team applied before it.
		_, err := b.store.ConfigApply(b.ctx, model.Config{
			Applications: []model.Application{testApp("checkout")},
			Teams:        []model.Team{payments},
			Grants:       []model.Grant{admins, {Role: model.RoleViewer}},
		})
		if err == nil {
			t.Fatal("ConfigApply with a nameless grant succeeded")
		}
		_, err = b.store.ApplicationGet(b.ctx, "checkout")
		wantErrIs(t, err, store.ErrNotFound)
		teams, err := b.store.TeamList(b.ctx)
		must(t, err)
		grants, err := b.store.GrantList(b.ctx)
		must(t, err)
		if len(teams)+len(grants) != 0 {
			t.Fatalf("a failed apply kept teams %v and grants %v", teams, grants)
		}
	})
}
