// Package authn finds out who sent a request: an API token in the
// Authorization header, or a browser session cookie opened by an OIDC
// login, a one-time login link or a pasted token. It resolves the caller
// into an auth.Principal with the current access config, and opens and
// closes browser sessions. What the caller may then do is decided by
// package auth.
package authn
