package trigger

import (
	"context"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// Credentials resolves a polled source's login (registry, git): ok is
// false when the trigger gives none. what names the source in errors
// (e.g. "registry ghcr.io/acme/cart"), never the secret's value.
func Credentials(ctx context.Context, secrets *secret.Resolver, username, password *model.StringOrSecret, what string) (user, pass string, ok bool, err error) {
	if username == nil && password == nil {
		return "", "", false, nil
	}
	if username != nil {
		if user, err = secrets.Value(ctx, *username); err != nil {
			return "", "", false, fmt.Errorf("username of %s: %w", what, err)
		}
	}
	if password != nil {
		if pass, err = secrets.Value(ctx, *password); err != nil {
			return "", "", false, fmt.Errorf("password of %s: %w", what, err)
		}
	}
	return user, pass, true, nil
}
