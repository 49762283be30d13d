package gitpoll

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/trigger/httplimit"
)

// explain turns a failed request into an error that names the repository
// and branch and says what to check. Its text never holds a URL's userinfo.
func explain(where, doing string, err error) error {
	hint := ""
	var opErr *net.OpError
	msg := err.Error()
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired):
		hint = "the server asks for a login (401): set the trigger's username and password (a token as password), or check their secret references and values"
	case errors.Is(err, transport.ErrAuthorizationFailed):
		hint = "the login may not read the repository (403): give the account or token read access"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		hint = "no such repository (404): check the clone URL; a private repository may also answer 404 without a login"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		hint = "the repository is empty: push the branch first"
	case errors.Is(err, errTooLarge), errors.Is(err, errResponseTooLarge):
		hint = "the server sent more than gennaker reads for one commit: it should allow partial clone (uploadpack.allowFilter)"
	case errors.Is(err, context.DeadlineExceeded):
		hint = "the server did not answer in time: check that it is reachable from the gennaker server"
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:"):
		hint = "the server's TLS certificate is not trusted: add its CA to the server's trusted certificates (SSL_CERT_FILE)"
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		hint = "the server speaks plain HTTP: use an http:// URL if that is intended"
	case errors.As(err, &opErr):
		hint = "cannot reach the server: check the URL's host and port, and the network from the gennaker server"
	}
	text := fmt.Sprintf("could not %s %s", doing, where)
	if hint != "" {
		text += ": " + hint
	}
	return &redacted{msg: secret.Redact(text + ": " + msg), err: err}
}

// redacted is an error whose text has URL credentials removed.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// errResponseTooLarge is a response past the Poller's MaxResponseBytes.
var errResponseTooLarge = httplimit.ErrTooLarge
