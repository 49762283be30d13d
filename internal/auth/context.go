package auth

import "context"

type principalKey struct{}

// WithPrincipal returns ctx carrying the request's principal.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the principal of ctx (the zero Principal when none).
func From(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

type policyKey struct{}

// WithPolicy returns ctx carrying the access config snapshot that decides
// the request: the route's rule and the handler's further checks read the
// same one.
func WithPolicy(ctx context.Context, pol Policy) context.Context {
	return context.WithValue(ctx, policyKey{}, pol)
}

// PolicyFrom returns the snapshot of ctx (the zero Policy, which knows no
// application, when none).
func PolicyFrom(ctx context.Context) Policy {
	pol, _ := ctx.Value(policyKey{}).(Policy)
	return pol
}

// ReadableFrom returns the applications the principal of ctx may read
// under the snapshot of ctx.
func ReadableFrom(ctx context.Context) Readable {
	return From(ctx).Readable(PolicyFrom(ctx))
}
