// Package auth decides who may do what. It is pure: it takes an identity,
// the access config (teams, grants, which team owns which application) and
// what a request is about, and returns a decision. Authentication (reading
// tokens, cookies and OIDC logins) lives in internal/authn; the API and the
// UI call both.
//
// The model is Spinnaker Fiat's, sized for a small team: four roles
// (viewer, deployer, approver, admin), each a set of permissions; a grant
// gives a role to teams or users over a scope (a team's applications, one
// application, or everything, optionally narrowed to environments); an API
// token holds exactly one role over one scope.
//
// Which environments an action acts in comes from the pipeline: running a
// pipeline needs the deploy permission for the environments it deploys to
// that are not behind a manual judgment (see RunEnvironments), and
// approving a judgment needs the approve permission for the environments it
// opens the way to (see ApprovalEnvironments).
package auth
