package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "/",
		"/applications/checkout":    "/applications/checkout",
		"/events?application=x":     "/events?application=x",
		"//attacker.example/":       "/",
		"/\\attacker.example":       "/",
		"https://attacker.example/": "/",
		"javascript:alert(1)":       "/",
		"/login?next=/x":            "/",
		"/x\r\nSet-Cookie: a=b":     "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLoginWithTokenAndLogout: the login form opens a session (an HttpOnly,
// SameSite cookie) with which pages show who is logged in; a bad token
// opens none; logout ends it.
func TestLoginWithTokenAndLogout(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path, form string, cookie *http.Cookie) *http.Response {
		req, _ := http.NewRequest("POST", r.srv.URL+path, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := c.Do(req)
		must(t, err)
		resp.Body.Close()
		return resp
	}
	if resp := post("/login", "token=gnk_nope", nil); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Fatalf("a bad token: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	resp := post("/login", "token="+url.QueryEscape(r.token)+"&next=/events", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/events" {
		t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "gennaker_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over http", session)
	}
	req, _ := http.NewRequest("GET", r.srv.URL+"/", nil)
	req.AddCookie(session)
	page, err := c.Do(req)
	must(t, err)
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Fatalf("a page with the session: %d", page.StatusCode)
	}
	if resp := post("/logout", "", session); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", r.srv.URL+"/", nil)
	req.AddCookie(session)
	page, err = c.Do(req)
	must(t, err)
	page.Body.Close()
	if page.StatusCode != http.StatusSeeOther || !strings.HasPrefix(page.Header.Get("Location"), "/login") {
		t.Fatalf("the ended session still opens pages: %d %s", page.StatusCode, page.Header.Get("Location"))
	}
}

// TestPagesLeaveOutRefusedActions: a viewer sees no buttons the API would
// refuse them; an admin sees them all.
func TestPagesLeaveOutRefusedActions(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	id, hash, secret := auth.NewToken()
	must(t, r.st.TokenInsert(context.Background(), &model.Token{ID: id, Name: "viewer", Hash: hash, Role: model.RoleViewer, CreatedBy: "test", Owner: "test", CreatedAt: t0, ExpiresAt: time.Now().Add(time.Hour)}))
	admin := r.token
	for _, tc := range []struct {
		token, path string
		want, not   []string
	}{
		{admin, "/executions/exec-waiting", []string{`data-api="/api/v1/executions/exec-waiting/approve"`, "Cancel execution"}, []string{"do not let you answer"}},
		{secret, "/executions/exec-waiting", []string{"your grants do not let you answer it"}, []string{`/approve"`, "Cancel execution"}},
		{admin, "/applications/checkout", []string{"Roll back prod", `id="deploy-heading"`}, nil},
		{secret, "/applications/checkout", []string{"<h1>checkout</h1>"}, []string{"Roll back prod", `id="deploy-heading"`}},
	} {
		r.token = tc.token
		code, body := r.get(tc.path)
		if code != 200 {
			t.Fatalf("GET %s: %d", tc.path, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s as %s: lacks %q", tc.path, map[bool]string{true: "admin", false: "viewer"}[tc.token == admin], w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(body, w) {
				t.Errorf("GET %s as %s: shows %q", tc.path, map[bool]string{true: "admin", false: "viewer"}[tc.token == admin], w)
			}
		}
	}
}
