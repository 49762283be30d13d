// Package oidcenv starts a real OpenID Connect provider for integration
// tests: zitadel/oidc's example OpenID Provider (the certified `op` package,
// an in-memory storage and a username/password login page), on 127.0.0.1
// with a random port, with one confidential client and the users a test
// asks for. A user's groups come as a `groups` claim, in the ID token and
// from userinfo, when the `groups` scope is requested.
//
// The binary is built by scripts/oidc/build.sh (make test-deps) into
// ${GENNAKER_OIDC_CACHE:-$HOME/.cache/gennaker/oidc}. When it is missing the
// test is skipped, or fails when GENNAKER_REQUIRE_ALL=1 (make test).
//
//	p := oidcenv.Start(t, oidcenv.Options{
//		Client: oidcenv.Client{RedirectURIs: []string{srv.URL + "/auth/callback"}},
//		Users:  []oidcenv.User{{Username: "alice", Password: "pw", Email: "alice@example.com", Groups: []string{"deployers"}}},
//	})
//	// p.Issuer, p.ClientID, p.ClientSecret configure the relying party.
//	callback, err := p.LoginHTTP(ctx, nil, authCodeURL, "alice", "pw")
//
// The provider keeps no login session: every authorization request shows the
// login page (see login.go for its form), and a restart forgets every token.
package oidcenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gennaker/gennaker/test/internal/testenv"
)

// Version is the zitadel/oidc release scripts/oidc/build.sh builds; keep
// the two in step.
const Version = "v3.52.0"

// BuildHint is the message of the skip (or failure) when the binary is missing.
const BuildHint = "run ./scripts/oidc/build.sh (or make test-deps)"

// ScopeGroups is the scope that asks for the `groups` claim (also its name).
const ScopeGroups = "groups"

// Options says whom the provider knows. The zero value is a client with the
// default ID and secret, no redirect URI and no user.
type Options struct {
	Client Client
	Users  []User
}

// Client is the one OAuth client the provider accepts: confidential
// (client_secret_basic or client_secret_post), authorization code with or
// without PKCE (S256), refresh tokens.
type Client struct {
	// ID defaults to "gennaker", Secret to "gennaker-secret".
	ID     string
	Secret string
	// RedirectURIs are matched exactly; http:// is allowed.
	RedirectURIs []string
	// RedirectURIGlobs are matched as doublestar globs, for a relying party
	// whose port is not known yet: "http://127.0.0.1:*/auth/callback".
	RedirectURIGlobs []string
}

// User is a user who can log in with Username and Password. The subject
// (`sub`) is the username; `email_verified` is true.
type User struct {
	Username string
	Password string
	Email    string
	// Name is the `name` claim; its first word is `given_name`, the rest
	// `family_name`.
	Name string
	// Groups is the `groups` claim (an empty list when nil).
	Groups []string
}

// Provider is a running provider.
type Provider struct {
	// Issuer is the issuer URL, also the base of every endpoint:
	// http://127.0.0.1:<port>, without a trailing slash.
	Issuer       string
	ClientID     string
	ClientSecret string
	// LogPath is the provider's log file (one line per request).
	LogPath string
}

// CacheDir is where scripts/oidc/build.sh puts the binary.
func CacheDir() string {
	if d := os.Getenv("GENNAKER_OIDC_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.Getenv("HOME")
	}
	return filepath.Join(home, ".cache", "gennaker", "oidc")
}

// BinaryPath is the provider binary's path.
func BinaryPath() string { return filepath.Join(CacheDir(), "bin", "oidc-provider") }

// Check returns an error naming what is missing when the binary is not
// built at Version.
func Check() error {
	bin := BinaryPath()
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("oidcenv: no OIDC provider at %s; %s", bin, BuildHint)
	}
	stamp, _ := os.ReadFile(filepath.Join(filepath.Dir(bin), ".stamp-oidc-provider"))
	if f := strings.Fields(string(stamp)); len(f) == 0 || f[0] != Version {
		return fmt.Errorf("oidcenv: the OIDC provider at %s is not built at zitadel/oidc %s; %s", bin, Version, BuildHint)
	}
	return nil
}

// Start starts a provider for this test and stops it when the test ends
// (its log is dumped if the test failed). Without the binary the test is
// skipped, or fails when GENNAKER_REQUIRE_ALL=1.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	if err := Check(); err != nil {
		testenv.Missing(t, err)
	}
	if opts.Client.ID == "" {
		opts.Client.ID = "gennaker"
	}
	if opts.Client.Secret == "" {
		opts.Client.Secret = "gennaker-secret"
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, providerConfig(opts), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: opts.Client.ID, ClientSecret: opts.Client.Secret, LogPath: filepath.Join(dir, "provider.log")}
	logf, err := os.Create(p.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	issuerFile := filepath.Join(dir, "issuer")
	cmd := exec.Command(BinaryPath(), "-config", cfgPath, "-listen", "127.0.0.1:0", "-issuer-file", issuerFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The provider dies with the test binary even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("oidcenv: starting %s: %v", BinaryPath(), err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("oidc provider log:\n%s", p.log())
		}
	})
	if err := p.waitReady(issuerFile, exited, 15*time.Second); err != nil {
		t.Fatalf("oidcenv: %v\n%s", err, p.log())
	}
	return p
}

// providerConfig is the provider's -config file (see scripts/oidc/build.sh).
func providerConfig(opts Options) []byte {
	type client struct {
		ID               string   `json:"id"`
		Secret           string   `json:"secret"`
		RedirectURIs     []string `json:"redirect_uris"`
		RedirectURIGlobs []string `json:"redirect_uri_globs"`
	}
	type user struct {
		Username string   `json:"username"`
		Password string   `json:"password"`
		Email    string   `json:"email"`
		Name     string   `json:"name"`
		Groups   []string `json:"groups"`
	}
	cfg := struct {
		Clients []client `json:"clients"`
		Users   []user   `json:"users"`
	}{Clients: []client{{opts.Client.ID, opts.Client.Secret, opts.Client.RedirectURIs, opts.Client.RedirectURIGlobs}}}
	for _, u := range opts.Users {
		cfg.Users = append(cfg.Users, user{u.Username, u.Password, u.Email, u.Name, u.Groups})
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // strings and slices of strings always marshal
	}
	return b
}

// waitReady waits for the provider to write its issuer and then to serve
// its discovery document.
func (p *Provider) waitReady(issuerFile string, exited <-chan error, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		if p.Issuer == "" {
			if b, err := os.ReadFile(issuerFile); err == nil {
				p.Issuer = strings.TrimSpace(string(b))
			}
		}
		if p.Issuer != "" && p.discoveryOK(ctx) {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the OIDC provider exited before it was ready (%v)", err)
		case <-ctx.Done():
			return fmt.Errorf("the OIDC provider did not serve /.well-known/openid-configuration within %s", within)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (p *Provider) discoveryOK(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (p *Provider) log() string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return strings.TrimSpace(string(b))
}
