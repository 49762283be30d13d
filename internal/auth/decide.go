package auth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// Can reports whether the principal may do perm on res.
func (p Principal) Can(perm Permission, res Resource) bool {
	for _, b := range p.Bindings {
		if covers(b, perm, res, true) {
			return true
		}
	}
	return false
}

// CanSomewhere reports whether the principal may do perm on res's
// application in at least one environment (what a page needs to know to
// show a button; the action itself checks the environment).
func (p Principal) CanSomewhere(perm Permission, res Resource) bool {
	for _, b := range p.Bindings {
		if covers(b, perm, res, false) {
			return true
		}
	}
	return false
}

// Holds reports whether any of the principal's bindings carries perm,
// whatever its scope (the first gate of routes that narrow it further).
func (p Principal) Holds(perm Permission) bool {
	for _, b := range p.Bindings {
		if Allows(b.Role, perm) && (perm != PermAdmin || len(b.Scope.Environments) == 0) {
			return true
		}
	}
	return false
}

// Check returns nil when the principal may do perm on res, and otherwise an
// error wrapping ErrForbidden that says what is missing and how to get it.
func (p Principal) Check(perm Permission, res Resource) error {
	if p.Can(perm, res) {
		return nil
	}
	return &Denied{Actor: p.Actor(), Perm: perm, Resource: res, Held: p.held()}
}

// ReadsEverything reports whether the principal may read every application
// (so lists need no filter).
func (p Principal) ReadsEverything() bool {
	for _, b := range p.Bindings {
		if Allows(b.Role, PermRead) && b.Scope.Team == "" && b.Scope.Application == "" {
			return true
		}
	}
	return false
}

// Authenticated reports whether the principal is someone (not the zero value).
func (p Principal) Authenticated() bool { return p.Identity.Subject != "" }

func covers(b Binding, perm Permission, res Resource, withEnvs bool) bool {
	if !Allows(b.Role, perm) {
		return false
	}
	s := b.Scope
	if s.Application != "" && s.Application != res.Application {
		return false
	}
	if s.Team != "" && (res.Application == "" || s.Team != res.Team) {
		return false
	}
	if perm == PermAdmin && len(s.Environments) > 0 {
		return false // admin acts on config, never through an environment-narrowed grant
	}
	if withEnvs && envScoped(perm) && len(s.Environments) > 0 {
		for _, e := range res.Environments {
			if !slices.Contains(s.Environments, e) {
				return false
			}
		}
	}
	return true
}

func (p Principal) held() string {
	if len(p.Bindings) == 0 {
		return "no grant"
	}
	parts := make([]string, len(p.Bindings))
	for i, b := range p.Bindings {
		parts[i] = fmt.Sprintf("%s on %s (%s)", b.Role, b.Scope, b.Source)
	}
	return strings.Join(parts, "; ")
}

// Denied is a refusal: who, what they lacked, and what they hold.
type Denied struct {
	Actor    string
	Perm     Permission
	Resource Resource
	Held     string
}

func (d *Denied) Error() string {
	return fmt.Sprintf("%s may not %s (holds %s): ask an admin for a grant of %s that covers it",
		d.Actor, action(d.Perm, d.Resource), d.Held, rolesFor(d.Perm))
}

// Unwrap makes a Denied match ErrForbidden.
func (d *Denied) Unwrap() error { return ErrForbidden }

// action says what was refused, e.g. "deploy, run pipelines or roll back
// in application checkout in production".
func action(p Permission, r Resource) string {
	switch {
	case p == PermAdmin && r.Application == "":
		return "administer gennaker (shared config, teams, grants, tokens, the audit log)"
	case p == PermAdmin:
		return "administer " + r.String()
	case p == PermRead:
		return "read " + r.String()
	case p == PermDeploy:
		return "deploy, run pipelines or roll back in " + r.String()
	case p == PermApprove:
		return "approve or reject stages of " + r.String()
	}
	return string(p) + " " + r.String()
}

// rolesFor names the roles that carry p: "role deployer or admin".
func rolesFor(p Permission) string {
	var names []string
	for _, r := range model.Roles {
		if Allows(r, p) {
			names = append(names, string(r))
		}
	}
	if len(names) == 1 {
		return "role " + names[0]
	}
	return "role " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Readable is the set of applications a principal may read.
type Readable struct {
	All  bool
	Apps map[string]bool
}

// Has reports whether app is readable.
func (r Readable) Has(app string) bool { return r.All || r.Apps[app] }

// None reports whether nothing is readable.
func (r Readable) None() bool { return !r.All && len(r.Apps) == 0 }

// Names lists the readable applications (nil when all are), for a store filter.
func (r Readable) Names() []string {
	if r.All {
		return nil
	}
	out := make([]string, 0, len(r.Apps))
	for a := range r.Apps {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Readable returns the applications of pol the principal may read.
func (p Principal) Readable(pol Policy) Readable {
	if p.ReadsEverything() {
		return Readable{All: true}
	}
	rd := Readable{Apps: map[string]bool{}}
	for app := range pol.AppTeams {
		if p.Can(PermRead, pol.App(app)) {
			rd.Apps[app] = true
		}
	}
	return rd
}
