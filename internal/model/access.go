package model

import (
	"slices"
	"strings"
)

// Kinds of access-control config documents.
const (
	// KindTeam names a group of people and the identity-provider groups
	// whose members belong to it.
	KindTeam = "Team"
	// KindGrant gives a role to teams or users over a scope of applications
	// and environments.
	KindGrant = "Grant"
)

// Role is a named set of permissions (Spinnaker's Fiat READ/WRITE/EXECUTE,
// sized for a small team). Roles are not ranked, except that admin holds
// every permission and every role may read what it is granted on.
type Role string

const (
	// RoleViewer reads applications, pipelines, executions, events and analyses.
	RoleViewer Role = "viewer"
	// RoleDeployer runs pipelines, deploys, rolls back and cancels executions.
	RoleDeployer Role = "deployer"
	// RoleApprover answers manual judgments and a canary's pause (promote or abort).
	RoleApprover Role = "approver"
	// RoleAdmin changes config (applications, pipelines, environments, teams,
	// grants), manages tokens and reads the audit log, and may do everything else.
	RoleAdmin Role = "admin"
)

// Roles lists every role, in the order docs and errors show them.
var Roles = []Role{RoleViewer, RoleDeployer, RoleApprover, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Team is a group of people who own applications (Application.Team names
// one). People log in through OIDC; the provider's group claim says which
// groups they are in, and Groups maps those to this team.
type Team struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Groups are identity-provider group names whose members belong to the
	// team. Empty means one group with the team's own name.
	Groups []string `json:"groups,omitempty"`
	// Members are users (their OIDC email, or subject when there is no
	// email) who belong to the team whatever their groups.
	Members []string `json:"members,omitempty"`
}

// GroupNames returns the provider groups that make someone a member.
func (t Team) GroupNames() []string {
	if len(t.Groups) == 0 {
		return []string{t.Name}
	}
	return t.Groups
}

// Grant gives Role to its subjects over Scope.
type Grant struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Role        Role      `json:"role"`
	Subjects    []Subject `json:"subjects"`
	Scope       Scope     `json:"scope,omitzero"`
}

// Subject is who receives a grant: every member of a team, or one user.
// Exactly one field is set.
type Subject struct {
	Team string `json:"team,omitempty"`
	User string `json:"user,omitempty"`
}

// Scope is what a grant or token covers. An empty scope covers everything.
// Team and Application narrow the applications (at most one is set);
// Environments, when set, narrow the environments the grant acts in (a
// deploy, rollback or approval in another environment is not covered; reads
// of the applications are).
type Scope struct {
	// Team covers the applications whose spec.team is this team.
	Team string `json:"team,omitempty"`
	// Application covers one application.
	Application string `json:"application,omitempty"`
	// Environments limits deploys, rollbacks and approvals to these environments.
	Environments []string `json:"environments,omitempty"`
}

// Global reports whether the scope covers every application and environment.
func (s Scope) Global() bool {
	return s.Team == "" && s.Application == "" && len(s.Environments) == 0
}

// String says what the scope covers, for people: "every application",
// "team payments's applications" or "application checkout", then " in
// staging, production" when it names environments.
func (s Scope) String() string {
	var out string
	switch {
	case s.Application != "":
		out = "application " + s.Application
	case s.Team != "":
		out = "team " + s.Team + "'s applications"
	default:
		out = "every application"
	}
	if len(s.Environments) > 0 {
		out += " in " + strings.Join(s.Environments, ", ")
	}
	return out
}
