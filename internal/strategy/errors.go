package strategy

import "errors"

// ErrNoRollbackTarget: no earlier good server group exists to return traffic to.
var ErrNoRollbackTarget = errors.New("no earlier good server group to roll back to: " +
	"deploy a known good version instead (rollback never returns to a group marked rolled back)")

// ErrInvalidRequest is wrapped by every error PlanDeploy returns for a request
// it cannot plan; the message names the field and the fix.
var ErrInvalidRequest = errors.New("invalid deploy request")
