#!/usr/bin/env bash
# Builds a real OpenID Connect provider for the login tests (test/oidcenv),
# from the Go module proxy: zitadel/oidc's example OpenID Provider
# (github.com/zitadel/oidc/v3: the certified `op` package, the example's
# in-memory `storage` and its username/password login page `exampleop`).
#
# The example's own main hard-codes its issuer (http://localhost:9998/), its
# clients and users, and its users have no groups. So the scratch module holds
# a small main package (written below) that runs the example unchanged,
# through exampleop.SetupServer and storage.NewStorageWithClients, and
# configures only this, from a JSON file (-config):
#   - the issuer: http://<the address it listens on>, 127.0.0.1:0 by default
#     (-listen); once listening it writes the issuer to -issuer-file;
#   - the clients: storage.WebClient(id, secret, redirect_uris...)
#     (confidential, client_secret_basic or _post, code flow, PKCE S256);
#     redirect_uri_globs are matched too (e.g. http://127.0.0.1:*/callback);
#   - the users: storage.User (username, password, email, name) and groups;
#   - a `groups` scope: allowed for every client and listed in the discovery
#     document; with it the ID token and userinfo carry a `groups` claim;
#   - the scope claims (email, profile, groups) go into the ID token even
#     though an access token is issued too (IDTokenUserinfoClaimsAssertion).
# The OIDC protocol (discovery, authorize, token, PKCE, signing, userinfo) is
# the library's.
#
# Everything lands in ${GENNAKER_OIDC_CACHE:-$HOME/.cache/gennaker/oidc}:
#   bin/oidc-provider                   the provider
#   bin/.stamp-oidc-provider            version, Go version and main.go's hash
#   src/oidc-provider-<version>/        the scratch module (go.mod, main.go)
#
# With a matching stamp nothing is built, so a second run takes well under a
# second. Cold, on 2 cores: about 15s with the modules already downloaded,
# 2-2.5 minutes with an empty module and build cache (downloads dominate).
set -euo pipefail

ZITADEL_OIDC_VERSION=v3.52.0

CACHE="${GENNAKER_OIDC_CACHE:-$HOME/.cache/gennaker/oidc}"
BIN="$CACHE/bin"
mkdir -p "$BIN" "$CACHE/src"

export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
GOVERSION="$(go env GOVERSION)"

now() { date +%s; }
T0=$(now)
log() { echo "oidc build: $*"; }

read -r -d '' MAIN_GO <<'GO' || true
// Command oidc-provider runs zitadel/oidc's example OpenID Provider
// (example/server/exampleop and example/server/storage) with the clients and
// users of a JSON file, and a `groups` claim. Written by
// gennaker's scripts/oidc/build.sh; see there for what it configures.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const scopeGroups = "groups"

type config struct {
	Clients []struct {
		ID               string   `json:"id"`
		Secret           string   `json:"secret"`
		RedirectURIs     []string `json:"redirect_uris"`
		RedirectURIGlobs []string `json:"redirect_uri_globs"`
	} `json:"clients"`
	Users []struct {
		ID       string   `json:"id"` // the subject; the username when empty
		Username string   `json:"username"`
		Password string   `json:"password"`
		Email    string   `json:"email"`
		Name     string   `json:"name"`
		Groups   []string `json:"groups"`
	} `json:"users"`
}

// userStore is the example storage's UserStore over the configured users.
type userStore map[string]*storage.User

func (u userStore) GetUserByID(id string) *storage.User { return u[id] }
func (u userStore) ExampleClientID() string             { return storage.ServiceUserID }
func (u userStore) GetUserByUsername(name string) *storage.User {
	for _, user := range u {
		if user.Username == name {
			return user
		}
	}
	return nil
}

type claims struct {
	name   string
	groups []string
}

// groupsStorage is the example storage plus the name and groups claims.
type groupsStorage struct {
	*storage.Storage
	claims map[string]claims   // by user ID
	globs  map[string][]string // redirect URI globs by client ID

	mu     sync.Mutex
	scopes map[string][]string // by access token ID, for userinfo
}

func (s *groupsStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return client{Client: c, globs: s.globs[id]}, nil
}

func (s *groupsStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	s.addClaims(info, req.GetSubject(), scopes)
	return nil
}

func (s *groupsStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.mu.Lock()
	scopes := s.scopes[tokenID]
	s.mu.Unlock()
	s.addClaims(info, subject, scopes)
	return nil
}

func (s *groupsStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, exp, err := s.Storage.CreateAccessToken(ctx, req)
	s.remember(id, req.GetScopes())
	return id, exp, err
}

func (s *groupsStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	id, refresh, exp, err := s.Storage.CreateAccessAndRefreshTokens(ctx, req, current)
	s.remember(id, req.GetScopes())
	return id, refresh, exp, err
}

func (s *groupsStorage) remember(tokenID string, scopes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes[tokenID] = scopes
}

func (s *groupsStorage) addClaims(info *oidc.UserInfo, subject string, scopes []string) {
	c := s.claims[subject]
	if info.Name != "" {
		info.Name = c.name
	}
	if slices.Contains(scopes, scopeGroups) {
		info.AppendClaims(scopeGroups, append([]string{}, c.groups...))
	}
}

// client is an example client that also allows the groups scope, asserts
// the scope claims into the ID token and matches redirect URI globs.
type client struct {
	op.Client
	globs []string
}

func (c client) IsScopeAllowed(scope string) bool {
	return scope == scopeGroups || c.Client.IsScopeAllowed(scope)
}
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c client) RedirectURIGlobs() []string           { return c.globs }
func (c client) PostLogoutRedirectURIGlobs() []string { return nil }

func main() {
	configPath := flag.String("config", "", "JSON file with the clients and users")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on; the issuer is http://<address>")
	issuerFile := flag.String("issuer-file", "", "file to write the issuer URL to once listening")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(*configPath, *listen, *issuerFile, logger); err != nil {
		fmt.Fprintln(os.Stderr, "oidc-provider:", err)
		os.Exit(1)
	}
}

func run(configPath, listen, issuerFile string, logger *slog.Logger) error {
	data, err := os.ReadFile(configPath)
	if err != nil {
		return err
	}
	var cfg config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("%s: %w", configPath, err)
	}
	clients := map[string]*storage.Client{}
	globs := map[string][]string{}
	for _, c := range cfg.Clients {
		clients[c.ID] = storage.WebClient(c.ID, c.Secret, c.RedirectURIs...)
		globs[c.ID] = c.RedirectURIGlobs
	}
	users := userStore{}
	userClaims := map[string]claims{}
	for _, u := range cfg.Users {
		id := u.ID
		if id == "" {
			id = u.Username
		}
		first, last, _ := strings.Cut(u.Name, " ")
		users[id] = &storage.User{ID: id, Username: u.Username, Password: u.Password,
			FirstName: first, LastName: last, Email: u.Email, EmailVerified: true}
		userClaims[id] = claims{name: u.Name, groups: u.Groups}
	}
	store := &groupsStorage{
		Storage: storage.NewStorageWithClients(users, clients),
		claims:  userClaims,
		globs:   globs,
		scopes:  map[string][]string{},
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	issuer := "http://" + ln.Addr().String()
	op.DefaultSupportedScopes = append(op.DefaultSupportedScopes, scopeGroups)
	router := exampleop.SetupServer(issuer, store, logger, false)
	if issuerFile != "" {
		if err := os.WriteFile(issuerFile+".tmp", []byte(issuer+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(issuerFile+".tmp", issuerFile); err != nil {
			return err
		}
	}
	logger.Info("listening", "issuer", issuer, "clients", len(clients), "users", len(users))
	return http.Serve(ln, router)
}
GO

SRC_HASH="$(printf '%s' "$MAIN_GO" | sha256sum | cut -c1-12)"
STAMP="$ZITADEL_OIDC_VERSION $GOVERSION $SRC_HASH"

build_provider() {
  if [ -x "$BIN/oidc-provider" ] && [ "$(cat "$BIN/.stamp-oidc-provider" 2>/dev/null)" = "$STAMP" ]; then
    log "zitadel/oidc $ZITADEL_OIDC_VERSION: cached"
    return
  fi
  local t=$(now) dir="$CACHE/src/oidc-provider-$ZITADEL_OIDC_VERSION"
  rm -rf "$dir"; mkdir -p "$dir"
  cat > "$dir/go.mod" <<MOD
module gennaker.local/oidcbuild/provider

go $(go env GOVERSION | sed 's/^go//')

require github.com/zitadel/oidc/v3 $ZITADEL_OIDC_VERSION
MOD
  printf '%s\n' "$MAIN_GO" > "$dir/main.go"
  log "zitadel/oidc $ZITADEL_OIDC_VERSION: building oidc-provider"
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/oidc-provider" .)
  echo "$STAMP" > "$BIN/.stamp-oidc-provider"
  log "zitadel/oidc $ZITADEL_OIDC_VERSION: built in $(( $(now) - t ))s"
}

build_provider
log "done in $(( $(now) - T0 ))s; binary in $BIN"
