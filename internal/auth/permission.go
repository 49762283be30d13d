package auth

import "github.com/gennaker/gennaker/internal/model"

// Permission is one kind of thing a caller may do.
type Permission string

const (
	// PermRead: see applications, pipelines, executions, events, analyses, logs.
	PermRead Permission = "read"
	// PermDeploy: run pipelines, deploy, roll back, adopt, cancel; open and
	// resolve incidents (they change the delivery record as a rollback does).
	PermDeploy Permission = "deploy"
	// PermApprove: approve or reject a waiting stage (judgment, canary pause).
	PermApprove Permission = "approve"
	// PermAdmin: change config, manage tokens, read the audit log.
	PermAdmin Permission = "admin"
)

// rolePermissions is what each role may do. Every role reads what it is
// granted on; admin may do everything.
var rolePermissions = map[model.Role][]Permission{
	model.RoleViewer:   {PermRead},
	model.RoleDeployer: {PermRead, PermDeploy},
	model.RoleApprover: {PermRead, PermApprove},
	model.RoleAdmin:    {PermRead, PermDeploy, PermApprove, PermAdmin},
}

// Allows reports whether role carries perm.
func Allows(role model.Role, perm Permission) bool {
	for _, p := range rolePermissions[role] {
		if p == perm {
			return true
		}
	}
	return false
}

// envScoped reports whether a grant's environments narrow perm. Reads and
// admin work are not about an environment.
func envScoped(perm Permission) bool { return perm == PermDeploy || perm == PermApprove }
