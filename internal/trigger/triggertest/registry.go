// Package triggertest starts the real servers the trigger sources watch, for
// tests: an OCI registry (go-containerregistry's pkg/registry, the
// distribution API over HTTP on 127.0.0.1) and git repositories served over
// smart HTTP by `git http-backend`. The servers stop when the test ends.
package triggertest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RegistryOptions configure StartRegistry.
type RegistryOptions struct {
	// Username and Password, when set, are required by every request
	// (HTTP basic auth, as a registry behind a login does).
	Username, Password string
	// TLS serves HTTPS with a certificate of httptest's own CA (trusted
	// only by Registry.Client's transport).
	TLS bool
	// Wrap, when set, wraps the registry's handler (to inject faults).
	Wrap func(http.Handler) http.Handler
}

// Registry is a running OCI registry.
type Registry struct {
	// Host is HOST:PORT, the registry part of a repository name
	// (Host + "/acme/cart").
	Host string
	// URL is http://HOST:PORT.
	URL string
	// Transport trusts the registry's certificate when it serves TLS.
	Transport http.RoundTripper
	opts      RegistryOptions
}

// StartRegistry starts an in-process OCI registry on 127.0.0.1 for the
// test. Its tag list is paginated as the distribution spec says: when a
// page holds the n tags asked for, a Link header points at the next one
// (pkg/registry itself cuts the page but sends no Link).
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	h = paginate(h)
	if opts.Wrap != nil {
		h = opts.Wrap(h)
	}
	if opts.Username != "" || opts.Password != "" {
		h = basicAuth(h, opts.Username, opts.Password)
	}
	srv := httptest.NewUnstartedServer(h)
	if opts.TLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return &Registry{Host: u.Host, URL: srv.URL, Transport: srv.Client().Transport, opts: opts}
}

// Repository is the full name of repo (e.g. "acme/cart") on this registry.
func (r *Registry) Repository(repo string) string { return r.Host + "/" + repo }

func (r *Registry) remoteOptions() []remote.Option {
	auth := authn.Anonymous
	if r.opts.Username != "" || r.opts.Password != "" {
		auth = &authn.Basic{Username: r.opts.Username, Password: r.opts.Password}
	}
	return []remote.Option{remote.WithAuth(auth), remote.WithTransport(r.Transport)}
}

// Push pushes a new random image (one small layer) to repo:tag and returns
// its digest. Pushing the same tag again moves it to new content.
func (r *Registry) Push(t testing.TB, repo, tag string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatalf("random image: %v", err)
	}
	return r.PushImage(t, repo, tag, img)
}

// PushImage pushes img to repo:tag and returns its digest.
func (r *Registry) PushImage(t testing.TB, repo, tag string, img v1.Image) string {
	t.Helper()
	ref, err := name.NewTag(r.Repository(repo)+":"+tag, name.Insecure)
	if err != nil {
		t.Fatalf("tag %s: %v", tag, err)
	}
	if err := remote.Write(ref, img, r.remoteOptions()...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d.String()
}

// Tag points more tags of repo at img, which must already be pushed there
// (each is one manifest PUT: fast enough for thousands).
func (r *Registry) Tag(t testing.TB, repo string, img v1.Image, tags ...string) {
	t.Helper()
	for _, tag := range tags {
		ref, err := name.NewTag(r.Repository(repo)+":"+tag, name.Insecure)
		if err != nil {
			t.Fatalf("tag %s: %v", tag, err)
		}
		if err := remote.Tag(ref, img, r.remoteOptions()...); err != nil {
			t.Fatalf("tag %s: %v", ref, err)
		}
	}
}

var tagsListPath = regexp.MustCompile(`^/v2/(.+)/tags/list$`)

// paginate adds the distribution spec's Link header to a full page of tags.
func paginate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		m := tagsListPath.FindStringSubmatch(req.URL.Path)
		n, _ := strconv.Atoi(req.URL.Query().Get("n"))
		if m == nil || req.Method != http.MethodGet || n <= 0 {
			next.ServeHTTP(w, req)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, req)
		var page struct {
			Tags []string `json:"tags"`
		}
		if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &page) == nil && len(page.Tags) == n {
			q := url.Values{"n": {strconv.Itoa(n)}, "last": {page.Tags[n-1]}}
			w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?%s>; rel="next"`, m[1], q.Encode()))
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = io.Copy(w, bytes.NewReader(rec.Body.Bytes()))
	})
}

// basicAuth refuses a request without the right basic credentials, with
// the challenge a registry sends.
func basicAuth(next http.Handler, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(pass)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="triggertest"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		next.ServeHTTP(w, req)
	})
}
