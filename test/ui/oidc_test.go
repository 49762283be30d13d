package ui

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/cliconfig"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/oidcenv"
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
	addr := freeAddr(t)
	base := "http://" + addr
	p := oidcenv.Start(t, oidcenv.Options{
		Client: oidcenv.Client{RedirectURIs: []string{base + "/auth/oidc/callback"}},
		Users:  []oidcenv.User{{Username: "alice", Password: "correct-horse", Email: "alice@example.com", Name: "Alice Payments", Groups: []string{"payments-eng"}}},
	})
	bin := buildGennaker(ctx, t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := exec.Command(bin, "server", "--data", filepath.Join(dir, "data"), "--addr", addr, "--cli-config", filepath.Join(dir, "cli.yaml"),
		"--oidc-issuer", p.Issuer, "--oidc-client-id", p.ClientID, "--oidc-redirect-url", base+"/auth/oidc/callback", "--oidc-name", "Test IdP")
	srv.Env = append(os.Environ(), "GENNAKER_OIDC_CLIENT_SECRET="+p.ClientSecret)
	srv.Stdout, srv.Stderr = logf, logf
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("server log:\n%s", b)
		}
	}()
	admin := waitAdmin(t, base, filepath.Join(dir, "cli.yaml"))
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
	err = cmd.Run()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; err != nil || !strings.HasSuffix(last, " passed, 0 failed") {
		t.Fatalf("node test/ui/oidc.mjs: %v: %s", err, last)
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

// uiPrerequisites skips (or fails, under make test) without Chromium, node
// and playwright-core, and returns node's path.
func uiPrerequisites(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		missing(t, chromium+" is missing")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			missing(t, "test/ui/node_modules is missing and npm is not on PATH")
		}
		if out, err := exec.Command(npm, "ci", "--no-audit", "--no-fund").CombinedOutput(); err != nil {
			t.Fatalf("npm ci in test/ui: %v\n%s", err, out)
		}
	}
	return node
}

// buildGennaker returns $GENNAKER_TEST_BIN or a fresh build.
func buildGennaker(ctx context.Context, t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("GENNAKER_TEST_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "gennaker")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/gennaker/gennaker/cmd/gennaker").CombinedOutput(); err != nil {
		t.Fatalf("building gennaker: %v\n%s", err, out)
	}
	return bin
}

// waitAdmin waits for the server and returns a client with the admin token it wrote.
func waitAdmin(t *testing.T, base, cliPath string) *client.Client {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			f, err := cliconfig.Load(cliPath)
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := f.ForServer(base); ok {
				return client.New(base, c.Token)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the server at %s did not start", base)
	return nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
