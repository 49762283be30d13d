package registry

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// explain turns a failed request into an error that names the repository
// and says what to check.
func explain(what, doing string, err error) error {
	if e := explainConnection(what, doing, err); e != nil {
		return e
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch {
		case terr.StatusCode == http.StatusUnauthorized:
			return fmt.Errorf("could not %s %s: the registry refused the login (401 Unauthorized): check the trigger's username and password (their secret references and values), or set them if the repository is private: %w", doing, what, err)
		case terr.StatusCode == http.StatusForbidden:
			return fmt.Errorf("could not %s %s: the account may not read it (403 Forbidden): give it pull access to the repository: %w", doing, what, err)
		case terr.StatusCode == http.StatusNotFound || hasCode(terr, transport.NameUnknownErrorCode, transport.ManifestUnknownErrorCode):
			return fmt.Errorf("could not %s %s: not found (404): check the repository's registry host and path (e.g. ghcr.io/acme/cart); a private repository may also answer 404 without a login: %w", doing, what, err)
		case terr.StatusCode == http.StatusTooManyRequests:
			return fmt.Errorf("could not %s %s: the registry limits the request rate (429): lengthen the trigger's interval or log in: %w", doing, what, err)
		}
		return fmt.Errorf("could not %s %s: the registry answered %d: %w", doing, what, terr.StatusCode, err)
	}
	return fmt.Errorf("could not %s %s: %w", doing, what, err)
}

// explainConnection explains a failure to talk to the registry at all
// (nil when err is not one). It is checked before the HTTP status: for a
// local or insecure registry the client tries HTTPS, then plain HTTP, and
// the second answer (400 to plain HTTP on an HTTPS port) hides the first.
func explainConnection(what, doing string, err error) error {
	msg := err.Error()
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("could not %s %s: the registry did not answer in time: check that it is reachable from the gennaker server: %w", doing, what, err)
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("could not %s %s: the registry speaks plain HTTP, not HTTPS: set insecure: true on the trigger if that is intended: %w", doing, what, err)
	case strings.Contains(msg, "malformed HTTP response") || strings.Contains(msg, "does not look like a TLS handshake") ||
		(strings.Contains(msg, "HTTP request to an HTTPS server") && !strings.Contains(msg, "x509:")):
		return fmt.Errorf("could not %s %s: the registry speaks HTTPS but was asked in plain HTTP: remove insecure: true from the trigger: %w", doing, what, err)
	case errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:"):
		return fmt.Errorf("could not %s %s: the registry's TLS certificate is not trusted: add its CA to the server's trusted certificates (SSL_CERT_FILE): %w", doing, what, err)
	case errors.As(err, &opErr):
		return fmt.Errorf("could not %s %s: cannot reach the registry: check the registry host and port, and the network from the gennaker server: %w", doing, what, err)
	}
	return nil
}

func hasCode(e *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range e.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// isNotFound reports a tag that is not (or no longer) in the repository.
func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && (terr.StatusCode == http.StatusNotFound || hasCode(terr, transport.ManifestUnknownErrorCode))
}
