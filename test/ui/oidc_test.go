package ui

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/oidcenv"
	"github.com/gennaker/gennaker/test/testserver"
)

// TestOIDCLoginInChromium logs a person in to the UI through a real OpenID
// Connect provider (zitadel/oidc's, built by scripts/oidc/build.sh), with
// Chromium typing into the provider's login page: the provider's group
// becomes a gennaker team, the team's grant decides what the person sees,
// and the login is in the audit log under their email.
func TestOIDCLoginInChromium(t *testing.T) {
	node := uiPrerequisites(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	addr := testserver.FreeAddr(t)
	base := "http://" + addr
	p := oidcenv.Start(t, oidcenv.Options{
		Client: oidcenv.Client{RedirectURIs: []string{base + "/auth/oidc/callback"}},
		Users:  []oidcenv.User{{Username: "alice", Password: "correct-horse", Email: "alice@example.com", Name: "Alice Payments", Groups: []string{"payments-eng"}}},
	})
	srv := testserver.Start(t, exe, testserver.Options{
		Addr: addr,
		Args: []string{"--oidc-issuer", p.Issuer, "--oidc-client-id", p.ClientID, "--oidc-redirect-url", base + "/auth/oidc/callback", "--oidc-name", "Test IdP"},
		Env:  []string{"GENNAKER_OIDC_CLIENT_SECRET=" + p.ClientSecret},
	})
	admin := srv.Admin()
	if _, err := admin.Apply(ctx, model.Config{
		Teams: []model.Team{{Name: "payments", Groups: []string{"payments-eng"}}, {Name: "search"}},
		Applications: []model.Application{
			{Name: "checkout", Team: "payments", Run: model.RunSpec{Command: "sleep"}, Instances: 1, HealthCheck: model.HealthCheck{Path: "/"}},
			{Name: "search-api", Team: "search", Run: model.RunSpec{Command: "sleep"}, Instances: 1, HealthCheck: model.HealthCheck{Path: "/"}},
		},
		Environments: []model.Environment{{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"checkout": "127.0.0.1:1"}}},
		Grants:       []model.Grant{{Name: "payments-read", Role: model.RoleViewer, Subjects: []model.Subject{{Team: "payments"}}, Scope: model.Scope{Team: "payments"}}},
	}); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, node, "oidc.mjs")
	cmd.Env = append(os.Environ(), "GENNAKER_BASE="+base, "OIDC_USER=alice", "OIDC_PASSWORD=correct-horse", "OIDC_EMAIL=alice@example.com")
	cmd.Stdout = io.MultiWriter(&out, testWriter{t})
	cmd.Stderr = cmd.Stdout
	if err := runScript(cmd, &out); err != nil {
		t.Fatalf("node test/ui/oidc.mjs: %v", err)
	}

	entries, err := admin.Audit(ctx, url.Values{"actor": {"alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	var login, logout, refused bool
	for _, e := range entries {
		login = login || (e.Action == model.AuditLogin && e.Outcome == model.AuditOK && strings.Contains(string(e.Detail), "oidc"))
		logout = logout || e.Action == model.AuditLogout
		refused = refused || (e.Outcome == model.AuditRefused && strings.Contains(e.Object, "rollback"))
	}
	if !login || !logout || !refused {
		t.Errorf("the audit log should hold alice's login (oidc), her refused rollback and her logout: login %v, refused %v, logout %v: %+v", login, refused, logout, entries)
	}
}
