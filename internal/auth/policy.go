package auth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// Policy is a snapshot of the access config that decisions read: the teams,
// the grants, and which team owns each application.
type Policy struct {
	Teams  []model.Team
	Grants []model.Grant
	// AppTeams maps every application to its owner team ("" when none).
	AppTeams map[string]string
}

// Binding is one role over one scope that a principal holds, and where it
// comes from (for messages).
type Binding struct {
	Role   model.Role
	Scope  model.Scope
	Source string
}

// Principal is an authenticated caller and everything it holds.
type Principal struct {
	Identity model.Identity
	// Teams the caller belongs to (users only).
	Teams    []string
	Bindings []Binding
}

// Actor is the name recorded for what the principal does.
func (p Principal) Actor() string { return p.Identity.Subject }

// Owner is who answers for what the principal does: a token's owner, or
// the user.
func (p Principal) Owner() string { return p.Identity.Accountable() }

// TokenPrincipal is the principal of an API token: exactly the token's role
// over its scope.
func TokenPrincipal(t model.Token) Principal {
	return Principal{
		Identity: model.Identity{Subject: t.Subject(), Kind: model.IdentityToken, TokenID: t.ID, Owner: t.Owner},
		Bindings: []Binding{{Role: t.Role, Scope: t.Scope, Source: fmt.Sprintf("token %q", t.Name)}},
	}
}

// UserPrincipal resolves a logged-in user: the teams whose groups or
// members include them, and every grant to those teams or to them.
func (p Policy) UserPrincipal(id model.Identity) Principal {
	pr := Principal{Identity: id}
	for _, t := range p.Teams {
		if memberOf(t, id) {
			pr.Teams = append(pr.Teams, t.Name)
		}
	}
	for _, g := range p.Grants {
		if p.grantsTo(g, pr) {
			pr.Bindings = append(pr.Bindings, Binding{Role: g.Role, Scope: g.Scope, Source: fmt.Sprintf("grant %q", g.Name)})
		}
	}
	return pr
}

func memberOf(t model.Team, id model.Identity) bool {
	for _, m := range t.Members {
		if SameName(m, id.Subject) {
			return true
		}
	}
	for _, g := range t.GroupNames() {
		if slices.Contains(id.Groups, g) {
			return true
		}
	}
	return false
}

func (p Policy) grantsTo(g model.Grant, pr Principal) bool {
	for _, s := range g.Subjects {
		switch {
		case s.User != "" && SameName(s.User, pr.Identity.Subject):
			return true
		case s.Team != "" && slices.Contains(pr.Teams, s.Team):
			return true
		}
	}
	return false
}

// Resource is what a request acts on.
type Resource struct {
	// Application is "" for objects that belong to no application
	// (environments, analysis templates, teams, grants, tokens, the audit log).
	Application string
	// Team owns Application.
	Team string
	// Environments the action acts in (deploys to, approves a deploy to).
	Environments []string
}

// App is the resource of an application (with its owner team) acting in envs.
func (p Policy) App(name string, envs ...string) Resource {
	return Resource{Application: name, Team: p.AppTeams[name], Environments: envs}
}

// Global is the resource of objects that belong to no application.
var Global = Resource{}

func (r Resource) String() string {
	s := "every application"
	if r.Application != "" {
		s = "application " + r.Application
	}
	if len(r.Environments) > 0 {
		s += " in " + strings.Join(r.Environments, ", ")
	}
	return s
}
