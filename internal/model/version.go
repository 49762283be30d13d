package model

import (
	"errors"
	"fmt"
	"regexp"
)

// versionPattern is what a version may be: an OCI image tag, plus '+' for
// semantic versioning's build metadata. A version is substituted as it is
// into run.command, run.args and run.env ({{version}}), container images
// and manifests, so it never holds a space, a quote or a shell character.
var versionPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$`)

// ErrInvalidVersion marks a version that is not a safe token.
var ErrInvalidVersion = errors.New("invalid version")

// CheckVersion refuses a version that is not a safe token, with an error
// wrapping ErrInvalidVersion that says what a version may hold.
func CheckVersion(v string) error {
	if versionPattern.MatchString(v) {
		return nil
	}
	shown := v
	if len(shown) > 140 {
		shown = shown[:140] + "…"
	}
	return fmt.Errorf("%w: %q: a version is put into commands, images and names as it is, so it holds 1 to 128 letters, digits, '.', '_', '+' and '-', starting with a letter, digit or '_', such as v1.4.2, 2026.03.14-1 or 1.4.2+build.7",
		ErrInvalidVersion, shown)
}
