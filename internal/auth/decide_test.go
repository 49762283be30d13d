package auth

import (
	"errors"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// The policy of docs/security.md's example: team payments owns checkout and
// billing; its members deploy checkout to staging; only its approvers
// approve production.
var examplePolicy = Policy{
	Teams: []model.Team{
		{Name: "payments", Groups: []string{"payments-eng"}, Members: []string{"carol@example.com"}},
		{Name: "payments-approvers"},
		{Name: "search"},
	},
	Grants: []model.Grant{
		{Name: "payments-read", Role: model.RoleViewer, Subjects: []model.Subject{{Team: "payments"}}, Scope: model.Scope{Team: "payments"}},
		{Name: "checkout-staging", Role: model.RoleDeployer, Subjects: []model.Subject{{Team: "payments"}}, Scope: model.Scope{Application: "checkout", Environments: []string{"staging"}}},
		{Name: "payments-prod-approve", Role: model.RoleApprover, Subjects: []model.Subject{{Team: "payments-approvers"}}, Scope: model.Scope{Team: "payments", Environments: []string{"production"}}},
		{Name: "ops", Role: model.RoleAdmin, Subjects: []model.Subject{{User: "Olga@Example.com"}}},
	},
	AppTeams: map[string]string{"checkout": "payments", "billing": "payments", "search-api": "search"},
}

func user(subject string, groups ...string) Principal {
	return examplePolicy.UserPrincipal(model.Identity{Subject: subject, Kind: model.IdentityUser, Groups: groups})
}

func TestCan(t *testing.T) {
	dev := user("dev@example.com", "payments-eng")
	carol := user("carol@example.com") // member by name, no groups
	approver := user("ann@example.com", "payments-approvers")
	olga := user("olga@example.com")
	stranger := user("x@example.com", "other")
	ci := TokenPrincipal(model.Token{Name: "ci", Role: model.RoleDeployer, Scope: model.Scope{Team: "search"}})
	p := examplePolicy
	tests := []struct {
		name string
		who  Principal
		perm Permission
		res  Resource
		want bool
	}{
		{"team member reads its app", dev, PermRead, p.App("billing"), true},
		{"member by name reads", carol, PermRead, p.App("checkout"), true},
		{"team member cannot read another team's app", dev, PermRead, p.App("search-api"), false},
		{"deploy checkout to staging", dev, PermDeploy, p.App("checkout", "staging"), true},
		{"not to production", dev, PermDeploy, p.App("checkout", "production"), false},
		{"not staging and production at once", dev, PermDeploy, p.App("checkout", "staging", "production"), false},
		{"not another app of the team", dev, PermDeploy, p.App("billing", "staging"), false},
		{"deployer cannot approve", dev, PermApprove, p.App("checkout", "staging"), false},
		{"approver approves production", approver, PermApprove, p.App("checkout", "production"), true},
		{"approver not in staging", approver, PermApprove, p.App("billing", "staging"), false},
		{"approver reads its team's apps (approver carries read)", approver, PermRead, p.App("checkout"), true},
		{"approver cannot deploy", approver, PermDeploy, p.App("checkout", "production"), false},
		{"an approval that opens no environment", approver, PermApprove, p.App("checkout"), true},
		{"admin by email in any case", olga, PermAdmin, Global, true},
		{"admin deploys anywhere", olga, PermDeploy, p.App("search-api", "production"), true},
		{"stranger nothing", stranger, PermRead, p.App("checkout"), false},
		{"team-scoped token deploys its team", ci, PermDeploy, p.App("search-api", "production"), true},
		{"team-scoped token not another team", ci, PermDeploy, p.App("checkout", "staging"), false},
		{"team scope never covers global objects", ci, PermRead, Global, false},
		{"deployer is not admin", dev, PermAdmin, p.App("checkout"), false},
		{"unknown app has no team", dev, PermRead, p.App("nope"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.who.Can(tt.perm, tt.res); got != tt.want {
				t.Fatalf("Can(%s, %s) = %v, want %v (bindings %+v)", tt.perm, tt.res, got, tt.want, tt.who.Bindings)
			}
			err := tt.who.Check(tt.perm, tt.res)
			if (err == nil) != tt.want || (err != nil && !errors.Is(err, ErrForbidden)) {
				t.Fatalf("Check = %v, want allowed=%v", err, tt.want)
			}
		})
	}
}

func TestCanSomewhereIgnoresEnvironments(t *testing.T) {
	dev := user("dev@example.com", "payments-eng")
	if !dev.CanSomewhere(PermDeploy, examplePolicy.App("checkout", "production")) {
		t.Fatal("a staging deployer of checkout deploys it somewhere")
	}
	if dev.CanSomewhere(PermDeploy, examplePolicy.App("billing")) {
		t.Fatal("dev deploys billing nowhere")
	}
}

func TestAdminNeverThroughEnvironmentGrant(t *testing.T) {
	tok := TokenPrincipal(model.Token{Name: "x", Role: model.RoleAdmin, Scope: model.Scope{Environments: []string{"staging"}}})
	if tok.Can(PermAdmin, Global) {
		t.Fatal("an environment-narrowed admin binding must not administer")
	}
}

func TestReadsEverything(t *testing.T) {
	if user("dev@example.com", "payments-eng").ReadsEverything() {
		t.Fatal("team-scoped viewer does not read everything")
	}
	if !user("olga@example.com").ReadsEverything() {
		t.Fatal("global admin reads everything")
	}
	envOnly := TokenPrincipal(model.Token{Name: "v", Role: model.RoleViewer, Scope: model.Scope{Environments: []string{"staging"}}})
	if !envOnly.ReadsEverything() {
		t.Fatal("environments do not narrow reads")
	}
}

func TestDeniedMessage(t *testing.T) {
	err := user("dev@example.com", "payments-eng").Check(PermDeploy, examplePolicy.App("checkout", "production"))
	want := `dev@example.com may not deploy, run pipelines or roll back in application checkout in production (holds viewer on team payments's applications (grant "payments-read"); deployer on application checkout in staging (grant "checkout-staging")): ask an admin for a grant of role deployer or admin that covers it`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	id, hash, tok := NewToken()
	gotID, secret, ok := ParseToken(tok)
	if !ok || gotID != id || !SecretMatches(hash, secret) {
		t.Fatalf("ParseToken(%q) = %q, %q, %v", tok, gotID, secret, ok)
	}
	if SecretMatches(hash, secret+"x") {
		t.Fatal("a different secret matched")
	}
	for _, bad := range []string{"", "gnk_", "gnk_abc_def", "Bearer " + tok, tok[:len(tok)-20], "gnk_zzzzzzzzzzzzzzzz_" + secret, "xyz_" + id + "_" + secret} {
		if _, _, ok := ParseToken(bad); ok {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	_, _, tok := NewToken()
	f.Add(tok)
	f.Add("gnk__")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, ok := ParseToken(s)
		if ok && TokenPrefix+id+"_"+secret != s {
			t.Fatalf("ParseToken(%q) = %q, %q does not rebuild the input", s, id, secret)
		}
	})
}
