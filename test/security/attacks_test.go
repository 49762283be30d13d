package security

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/model"
)

// TestAttacksFromTheIssue replays what was tried against the server before
// it had authentication: a page on another site creating an application
// whose command is a shell, then deploying it; bodies the API used to
// accept; DNS rebinding; no credential; a forged actor. Each is refused
// with a 4xx, and in the end nothing was created and nothing ran.
func TestAttacksFromTheIssue(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	marker := filepath.Join(t.TempDir(), "pwned")
	evil := `{"applications":[{"name":"pwn","run":{"command":"/bin/sh","args":["-c","touch ` + marker + `"]},"healthCheck":{"path":"/"},"instances":1}],` +
		`"environments":[{"name":"evil","target":{"kind":"local"},"frontDoors":{"pwn":"127.0.0.1:1"}}]}`
	// A legitimate application the attacker tries to deploy.
	if _, err := s.admin.Apply(ctx, model.Config{
		Applications: []model.Application{{Name: "victim", Run: model.RunSpec{Command: "/bin/sh", Args: []string{"-c", "touch " + marker}}, Instances: 1, HealthCheck: model.HealthCheck{Path: "/"}}},
		Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"victim": "127.0.0.1:1"}}},
	}); err != nil {
		t.Fatal(err)
	}
	cookie := sessionCookie(t, s)

	type attack struct {
		name   string
		req    func() *http.Request
		want   int
		expect string // in the answer
	}
	form := func(path, body, site, origin string) func() *http.Request {
		return func() *http.Request {
			req := newRequest(t, "POST", s.URL+path, body)
			req.Header.Set("Content-Type", "text/plain")
			if site != "" {
				req.Header.Set("Sec-Fetch-Site", site)
			}
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			req.AddCookie(cookie)
			return req
		}
	}
	withToken := func(method, path, ct, body string, tweak ...func(*http.Request)) func() *http.Request {
		return func() *http.Request {
			req := newRequest(t, method, s.URL+path, body)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			req.Header.Set("Authorization", "Bearer "+s.admin.Token)
			for _, f := range tweak {
				f(req)
			}
			return req
		}
	}
	attacks := []attack{
		{"cross-site form post of a config (text/plain body {json}=, the victim's session cookie)", form("/api/v1/config", evil+"=", "cross-site", "http://attacker.example"), 403, "cross-origin"},
		{"cross-site form post from a browser that sends only Origin", form("/api/v1/config", evil+"=", "", "http://attacker.example"), 403, "cross-origin"},
		{"cross-site form post of a deploy", form("/api/v1/applications/victim/deploy", `{"environment":"prod","version":"v1"}=`, "cross-site", "http://attacker.example"), 403, "cross-origin"},
		{"cross-site form post to the UI's no-JavaScript deploy form", func() *http.Request {
			req := form("/applications/victim/deploy", "environment=prod&version=v1", "cross-site", "http://attacker.example")()
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return req
		}, 403, ""},
		{"same-site text/plain body with the session cookie", form("/api/v1/config", evil, "same-origin", ""), 415, "application/json"},
		{"text/plain body with a valid token", withToken("POST", "/api/v1/config", "text/plain", evil), 415, "Content-Type: application/json"},
		{"trailing JSON after the config", withToken("POST", "/api/v1/config", "application/json", `{}`+evil), 400, "data after the JSON value"},
		{"garbage after the config", withToken("POST", "/api/v1/config", "application/json", evil+"=junk"), 400, "data after the JSON value"},
		{"empty body read as {} before", withToken("POST", "/api/v1/applications/victim/deploy", "application/json", ""), 400, "empty"},
		{"DNS rebinding: a foreign Host header, with a valid token", withToken("POST", "/api/v1/config", "application/json", evil, func(r *http.Request) { r.Host = "rebind.attacker.example" }), 421, "--allowed-host"},
		{"DNS rebinding: reading config under a foreign name with the session cookie", func() *http.Request {
			req := newRequest(t, "GET", s.URL+"/api/v1/config", "")
			req.Host = "rebind.attacker.example:7070"
			req.AddCookie(cookie)
			return req
		}, 421, ""},
		{"no credential", func() *http.Request {
			req := newRequest(t, "POST", s.URL+"/api/v1/config", evil)
			req.Header.Set("Content-Type", "application/json")
			return req
		}, 401, "Authorization: Bearer"},
		{"no credential, a forged actor header", func() *http.Request {
			req := newRequest(t, "POST", s.URL+"/api/v1/applications/victim/deploy", `{"environment":"prod","version":"v1"}`)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Gennaker-Actor", "ceo")
			return req
		}, 401, ""},
		{"a token that is not one", withToken("POST", "/api/v1/config", "application/json", evil, func(r *http.Request) { r.Header.Set("Authorization", "Bearer letmein") }), 401, "not a gennaker API token"},
		{"an actor field in a deploy body", withToken("POST", "/api/v1/applications/victim/deploy", "application/json", `{"environment":"prod","version":"v1","actor":"ceo"}`), 400, "unknown field"},
		{"a body over the limit", withToken("POST", "/api/v1/config", "application/json", `{"applications":[{"name":"`+strings.Repeat("a", 9<<20)+`"}]}`), 413, "8 MiB"},
		{"a comment over its limit", withToken("POST", "/api/v1/applications/victim/rollback", "application/json", `{"environment":"prod","reason":"`+strings.Repeat("x", 5000)+`"}`), 400, "reason is 5000 bytes long, over its limit of 4096"},
		{"a page over the list limit", withToken("GET", "/api/v1/executions?limit=100000", "", ""), 400, "maximum of 500"},
	}
	for _, a := range attacks {
		code, _, body := raw(t, a.req())
		if code != a.want || !strings.Contains(body, a.expect) {
			t.Errorf("%s: %d, want %d with %q:\n%s", a.name, code, a.want, a.expect, snippet(body))
		}
	}

	// A forged actor header with a real, narrow token: the deploy is
	// recorded as the token's, never as the header's.
	deployer, err := s.admin.CreateToken(ctx, api.TokenRequest{Name: "ci", Role: model.RoleDeployer, Scope: model.Scope{Application: "victim"}})
	if err != nil {
		t.Fatal(err)
	}
	req := newRequest(t, "POST", s.URL+"/api/v1/applications/victim/rollback", `{"environment":"prod"}`)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+deployer.Secret)
	req.Header.Set("X-Gennaker-Actor", "ceo")
	if code, _, body := raw(t, req); code != http.StatusCreated {
		t.Fatalf("a rollback with the deployer token: %d %s", code, body)
	}
	evs, err := s.admin.Events(ctx, url.Values{"application": {"victim"}})
	if err != nil {
		t.Fatal(err)
	}
	var byToken bool
	for _, ev := range evs {
		if ev.Actor == "ceo" {
			t.Errorf("event %d records the forged actor: %+v", ev.ID, ev)
		}
		byToken = byToken || ev.Actor == "token:ci"
	}
	if !byToken {
		t.Errorf("no event of victim records the rollback as token:ci's: %+v", evs)
	}

	// Nothing was created, nothing ran, and the refusals are in the audit log.
	cfg, err := s.admin.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.Applications {
		if a.Name == "pwn" {
			t.Errorf("the attacker's application was created")
		}
	}
	for _, e := range cfg.Environments {
		if e.Name == "evil" {
			t.Errorf("the attacker's environment was created")
		}
	}
	execs, err := s.admin.Executions(ctx, url.Values{"application": {"victim"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range execs {
		if e.Trigger.Kind != "rollback" {
			t.Errorf("an execution of victim was started: %s %s by %s", e.ID, e.Pipeline, e.Trigger.Actor)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the attacker's command ran: %s exists", marker)
	}
	entries, err := s.admin.Audit(ctx, url.Values{"limit": {"1000"}})
	if err != nil {
		t.Fatal(err)
	}
	refused := map[string]int{}
	for _, e := range entries {
		if e.Outcome == model.AuditRefused {
			refused[e.Actor]++
		}
	}
	if refused["anonymous"] < 3 || refused["token:local-"+localUser()]+refused["anonymous"] < 6 {
		t.Errorf("the audit log should hold the refusals (cross-origin posts, no credential): %v", refused)
	}
	if v, err := s.admin.VerifyAudit(ctx); err != nil || !v.OK {
		t.Errorf("audit verify after the attacks: %+v %v", v, err)
	}
}

// TestPrivateFiles: the data directory, the database files and the CLI
// credentials file are readable by their owner only.
func TestPrivateFiles(t *testing.T) {
	s := startServer(t)
	if _, err := s.admin.Apply(context.Background(), model.Config{Environments: []model.Environment{{Name: "x", Target: model.TargetSpec{Kind: model.TargetLocal}}}}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		s.Data:                                   0o700,
		filepath.Join(s.Data, "gennaker.db"):     0o600,
		filepath.Join(s.Data, "gennaker.db-wal"): 0o600,
		filepath.Join(s.Data, "gennaker.db-shm"): 0o600,
		filepath.Join(s.Data, "server.lock"):     0o600,
		s.CLIConfig:                              0o600,
		filepath.Dir(s.CLIConfig):                0o700,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
}

// sessionCookie logs a browser in with the admin token and returns its cookie.
func sessionCookie(t *testing.T, s *server) *http.Cookie {
	t.Helper()
	req := newRequest(t, "POST", s.URL+"/login", "token="+url.QueryEscape(s.admin.Token))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	code, h, body := raw(t, req)
	if code != http.StatusSeeOther {
		t.Fatalf("login: %d %s", code, body)
	}
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "gennaker_session" {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie %+v: want HttpOnly and SameSite=Lax", c)
			}
			return c
		}
	}
	t.Fatalf("login set no session cookie: %v", h)
	return nil
}

func snippet(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}
