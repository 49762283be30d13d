package secret

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// DefaultMaxFileSize bounds a secret file when Resolver.MaxFileSize is 0.
const DefaultMaxFileSize = 64 << 10

// Resolver reads the values of secret references. The zero value (and a
// nil *Resolver) reads the process's environment and files.
type Resolver struct {
	// LookupEnv reads a variable of the server's environment; nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// MaxFileSize bounds a secret file; 0 means DefaultMaxFileSize.
	MaxFileSize int64
}

// Value returns an inline value as written and resolves a reference.
func (r *Resolver) Value(ctx context.Context, v model.StringOrSecret) (string, error) {
	if v.Secret == nil {
		return v.Value, nil
	}
	return r.Resolve(ctx, *v.Secret)
}

// Resolve reads the value ref names. Its errors name the reference and say
// what to do; they never hold the value.
func (r *Resolver) Resolve(ctx context.Context, ref model.SecretRef) (string, error) {
	if err := ref.Validate(); err != nil {
		return "", &Error{Ref: ref, Reason: err.Error(), Err: err}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	switch ref.Source() {
	case model.SecretFromEnv:
		return r.env(ref)
	case model.SecretFromFile:
		return r.file(ref)
	}
	return "", &Error{Ref: ref, Err: ErrNotResolvable, Reason: fmt.Sprintf(
		"%s is read by the pods of a kubernetes environment, not by the gennaker server: such references are only for run.env of applications deployed to kubernetes environments; here use {secretRef: {env: NAME}} or {secretRef: {file: /path}}", ref)}
}

func (r *Resolver) env(ref model.SecretRef) (string, error) {
	lookup := os.LookupEnv
	if r != nil && r.LookupEnv != nil {
		lookup = r.LookupEnv
	}
	v, ok := lookup(ref.Env)
	switch {
	case !ok:
		return "", &Error{Ref: ref, Err: ErrNotFound, Reason: fmt.Sprintf(
			"environment variable %s is not set in the gennaker server's environment: set it and restart the server, or reference a file", ref.Env)}
	case v == "":
		return "", &Error{Ref: ref, Err: ErrEmpty, Reason: fmt.Sprintf(
			"environment variable %s is empty in the gennaker server's environment: set it to the secret and restart the server, or reference a file", ref.Env)}
	}
	return v, nil
}

func (r *Resolver) file(ref model.SecretRef) (string, error) {
	limit := int64(DefaultMaxFileSize)
	if r != nil && r.MaxFileSize > 0 {
		limit = r.MaxFileSize
	}
	fail := func(sentinel error, format string, args ...any) (string, error) {
		return "", &Error{Ref: ref, Err: sentinel, Reason: fmt.Sprintf("secret file %s ", ref.File) + fmt.Sprintf(format, args...)}
	}
	f, err := os.Open(ref.File)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail(ErrNotFound, "does not exist on the gennaker server: create it, readable by the server's user only, or correct the path")
	case errors.Is(err, fs.ErrPermission):
		return fail(ErrUnreadable, "cannot be read by the gennaker server (permission denied): let the server's user read it")
	case err != nil:
		return fail(ErrUnreadable, "cannot be opened: %v", cause(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(ErrUnreadable, "cannot be read: %v", cause(err))
	}
	if !fi.Mode().IsRegular() {
		return fail(ErrUnreadable, "is not a regular file: reference a file that holds only the secret")
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case err != nil:
		return fail(ErrUnreadable, "cannot be read: %v", cause(err))
	case int64(len(b)) > limit:
		return fail(ErrTooLarge, "is larger than %d bytes, the most a secret file may hold: is it the right file?", limit)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return fail(ErrEmpty, "is empty: write the secret into it")
	}
	return v, nil
}

// cause is an os error without the path its message repeats.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
