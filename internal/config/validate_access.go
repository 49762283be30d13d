package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// maxPrincipalLength bounds a user or group name. An OIDC subject has at
// most 255 characters and an e-mail address 254, so anything longer is a
// mistake (or a document built to be expensive to match at every request).
const maxPrincipalLength = 255

func validateTeam(doc *Document, t *model.Team) []Error {
	var errs []Error
	if doc.pos.has("spec.groups") && len(t.Groups) == 0 {
		errs = append(errs, doc.errorf("spec.groups",
			"an empty list does not mean no group: like leaving groups out, it lets in the members of the identity-provider group %q (the team's name); name the groups, or remove the line",
			t.Name))
	}
	errs = append(errs, checkPrincipals(doc, "spec.groups", groupNoun, t.Groups)...)
	errs = append(errs, checkPrincipals(doc, "spec.members", memberNoun, t.Members)...)
	return errs
}

// principalNoun says what a list of names holds, for messages.
type principalNoun struct {
	what    string // "group", "member"
	example string // a valid value
	user    bool   // the values are users, not groups
}

var (
	groupNoun  = principalNoun{what: "group", example: "payments-eng"}
	memberNoun = principalNoun{what: "member", example: "carol@example.com", user: true}
	userNoun   = principalNoun{what: "user", example: "dave@example.com", user: true}
)

// checkPrincipals checks a list of group or user names: each one valid,
// none twice.
func checkPrincipals(doc *Document, path string, noun principalNoun, values []string) []Error {
	var errs []Error
	first := map[string]int{}
	for i, v := range values {
		if msg := checkPrincipal(noun, v); msg != "" {
			errs = append(errs, doc.errorf(indexPath(path, i), "%s", msg))
			continue
		}
		errs = append(errs, listedTwice(doc, first, path, i, v, strconv.Quote(v))...)
	}
	return errs
}

// checkPrincipal returns what is wrong with a group or user name, or "".
func checkPrincipal(noun principalNoun, v string) string {
	switch {
	case v == "" && noun.user:
		return fmt.Sprintf("the %s is empty: write the user's e-mail address (or OIDC subject when there is none), such as %s", noun.what, noun.example)
	case v == "":
		return fmt.Sprintf("the %s is empty: write the identity provider's group name, such as %s", noun.what, noun.example)
	case len(v) > maxPrincipalLength:
		return fmt.Sprintf("the %s is %d characters long: write at most %d", noun.what, len(v), maxPrincipalLength)
	case strings.TrimSpace(v) != v:
		return fmt.Sprintf("%q has spaces around it, so it would never match a login: remove them", v)
	case noun.user && strings.HasPrefix(v, model.TokenSubjectPrefix):
		return fmt.Sprintf("%q names an API token: a token keeps the one role and scope it was created with, so teams and grants name people; create the token with the role it needs", v)
	}
	return ""
}

func validateGrant(doc *Document, g *model.Grant) []Error {
	var errs []Error
	if doc.pos.has("spec.role") && g.Role == "" {
		errs = append(errs, doc.errorf("spec.role", "the role is empty: use one of %s", strings.Join(roleNames(), ", ")))
	}
	if doc.pos.has("spec.subjects") && len(g.Subjects) == 0 {
		errs = append(errs, doc.errorf("spec.subjects", "a grant needs at least one subject, such as {team: payments} or {user: dave@example.com}"))
	}
	first := map[model.Subject]int{}
	for i, s := range g.Subjects {
		path := indexPath("spec.subjects", i)
		if doc.pos.has(path+".team") && s.Team == "" {
			errs = append(errs, doc.errorf(path+".team", "the team name is empty: name a Team, such as payments"))
		}
		if doc.pos.has(path + ".user") {
			if msg := checkPrincipal(userNoun, s.User); msg != "" {
				errs = append(errs, doc.errorf(path+".user", "%s", msg))
				continue
			}
		}
		if (s.Team == "") == (s.User == "") {
			continue // none or both: reported when decoded
		}
		errs = append(errs, listedTwice(doc, first, "spec.subjects", i, s, describeSubject(s))...)
	}
	return append(errs, validateScope(doc, "spec.scope", g.Role, g.Scope)...)
}

// describeSubject names a subject that has exactly one field set, for messages.
func describeSubject(s model.Subject) string {
	if s.Team != "" {
		return fmt.Sprintf("team %q", s.Team)
	}
	return fmt.Sprintf("user %q", s.User)
}

// validateScope checks a grant's scope; the names it holds are checked
// against the other objects by checkGrantRefs.
func validateScope(doc *Document, path string, role model.Role, sc model.Scope) []Error {
	var errs []Error
	if doc.pos.has(path+".team") && sc.Team == "" {
		errs = append(errs, doc.errorf(path+".team", "the team name is empty: name a Team, or remove the line to cover every application"))
	}
	if doc.pos.has(path+".application") && sc.Application == "" {
		errs = append(errs, doc.errorf(path+".application", "the application name is empty: name one, or remove the line to cover every application"))
	}
	envs := path + ".environments"
	if doc.pos.has(envs) && len(sc.Environments) == 0 {
		return append(errs, doc.errorf(envs, "an empty list covers every environment, as if environments were left out: name the environments, or remove the line"))
	}
	first := map[string]int{}
	for i, e := range sc.Environments {
		if e == "" {
			errs = append(errs, doc.errorf(indexPath(envs, i), "the environment name is empty: name an Environment, such as staging"))
			continue
		}
		errs = append(errs, listedTwice(doc, first, envs, i, e, fmt.Sprintf("environment %q", e))...)
	}
	if role == model.RoleAdmin && len(sc.Environments) > 0 {
		errs = append(errs, doc.errorf(envs, "an admin grant cannot be limited to environments: admin acts on config (applications, pipelines, environments, teams, grants), tokens and the audit log, which belong to no environment; remove the environments, or grant deployer or approver in them"))
	}
	return errs
}
