package security

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/test/testserver"
)

// server is one `gennaker server` process (testserver.Start) with a client
// holding the local admin's token.
type server struct {
	*testserver.Server
	admin *client.Client
}

// startServer runs a server with env added to its environment and returns
// it once ready.
func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	return startServerWith(t, nil, nil, env...)
}

// startServerWith also passes args to `gennaker server`; hc (nil: the
// default client) reaches its /healthz, and its scheme is https when the
// args include --tls-cert.
func startServerWith(t *testing.T, args []string, hc *http.Client, env ...string) *server {
	t.Helper()
	s := testserver.Start(t, exe, testserver.Options{Args: args, Env: env, HTTPClient: hc})
	return &server{Server: s, admin: s.Admin()}
}

// raw sends a request built by the caller and returns status, headers and body.
func raw(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	c := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func newRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// localUser is the user the server makes its local admin token for.
func localUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}
