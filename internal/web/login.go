package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
)

// loginView is the login page.
type loginView struct {
	Next string
	// LinkToken is the secret of a one-time login link to confirm.
	LinkToken string
	OIDC      bool
	OIDCName  string
	Error     string
	User      string
}

// loginPage renders /login: "log in with SSO" when OIDC is set up, a form
// to paste an API token, and, for a one-time link (/login?token=...), a
// button that confirms it. Opening a link never logs in by itself, so a
// link shown to a chat preview or sent by someone else cannot log a
// browser in behind its user's back.
func (h *ui) loginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := loginView{Next: safeNext(q.Get("next")), LinkToken: q.Get("token"), OIDC: h.cfg.OIDC != nil, OIDCName: h.oidcName(), User: auth.From(r.Context()).Actor()}
	if len(v.LinkToken) > 128 {
		v.LinkToken, v.Error = "", "This login link is damaged: copy the whole URL."
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.render(w, r, http.StatusOK, "login.html", page{Title: "Log in", Data: v})
}

func (h *ui) oidcName() string {
	if h.cfg.OIDCName != "" {
		return h.cfg.OIDCName
	}
	return "single sign-on"
}

// loginFailed renders the login page again with what went wrong.
func (h *ui) loginFailed(w http.ResponseWriter, r *http.Request, code int, next string, err error) {
	msg := err.Error()
	if !errors.Is(err, auth.ErrUnauthenticated) {
		h.log.Error("login failed", "err", err)
		msg = "The login could not be completed: " + msg
	}
	e := h.cfg.Audit.Entry(r, model.AuditLogin, "", "")
	h.cfg.Audit.Record(r.Context(), e, model.AuditRefused, err)
	h.render(w, r, code, "login.html", page{Title: "Log in", Data: loginView{Next: next, OIDC: h.cfg.OIDC != nil, OIDCName: h.oidcName(), Error: msg}})
}

func (h *ui) loggedIn(w http.ResponseWriter, r *http.Request, p auth.Principal, method, next string) {
	e := h.cfg.Audit.Entry(r, model.AuditLogin, "session", "")
	e.Actor = p.Actor()
	h.cfg.Audit.Record(r.Context(), e, model.AuditOK, map[string]string{"method": method})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// postLogin: POST /login with a pasted API token.
func (h *ui) postLogin(w http.ResponseWriter, r *http.Request, form url.Values) {
	next := safeNext(form.Get("next"))
	token := strings.TrimSpace(form.Get("token"))
	p, err := h.cfg.Auth.LoginWithToken(r.Context(), w, r, token)
	if err != nil {
		h.loginFailed(w, r, http.StatusUnauthorized, next, err)
		return
	}
	h.loggedIn(w, r, p, "token", next)
}

// postLoginLink: POST /login/link confirms a one-time login link.
func (h *ui) postLoginLink(w http.ResponseWriter, r *http.Request, form url.Values) {
	next := safeNext(form.Get("next"))
	p, err := h.cfg.Auth.UseLoginLink(r.Context(), w, r, form.Get("token"))
	if err != nil {
		h.loginFailed(w, r, http.StatusUnauthorized, next, err)
		return
	}
	h.loggedIn(w, r, p, "login link", next)
}

// postLogout: POST /logout ends the session.
func (h *ui) postLogout(w http.ResponseWriter, r *http.Request, _ url.Values) {
	actor := auth.From(r.Context()).Actor()
	if err := h.cfg.Auth.EndSession(r.Context(), w, r); err != nil {
		h.fail(w, r, err, "Session")
		return
	}
	if actor != "" {
		e := h.cfg.Audit.Entry(r, model.AuditLogout, "session", "")
		h.cfg.Audit.Record(r.Context(), e, model.AuditOK, nil)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// oidcStart: GET /auth/oidc/start redirects to the identity provider.
func (h *ui) oidcStart(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if h.cfg.OIDC == nil {
		h.loginFailed(w, r, http.StatusNotFound, next, errors.New("single sign-on is not set up on this server: start it with --oidc-issuer and --oidc-client-id (docs/security.md), or log in with an API token"))
		return
	}
	if err := h.cfg.OIDC.Start(w, r, next, h.cfg.Auth.Secure()); err != nil {
		h.loginFailed(w, r, http.StatusBadGateway, next, err)
	}
}

// oidcCallback: GET /auth/oidc/callback finishes a login through the provider.
func (h *ui) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if h.cfg.OIDC == nil {
		h.loginFailed(w, r, http.StatusNotFound, "/", errors.New("single sign-on is not set up on this server"))
		return
	}
	id, next, err := h.cfg.OIDC.Callback(w, r, h.cfg.Auth.Secure())
	if err != nil {
		h.loginFailed(w, r, http.StatusUnauthorized, "/", err)
		return
	}
	if err := h.cfg.Auth.StartSession(r.Context(), w, r, id); err != nil {
		h.loginFailed(w, r, http.StatusInternalServerError, "/", err)
		return
	}
	pol, err := h.cfg.Auth.Policy(r.Context())
	if err != nil {
		h.loginFailed(w, r, http.StatusInternalServerError, "/", err)
		return
	}
	h.loggedIn(w, r, pol.UserPrincipal(id), "oidc", safeNext(next))
}

// safeNext keeps a post-login destination on this site: a path, never
// another host (an open redirect would let a link send people anywhere
// after logging in).
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" || strings.HasPrefix(u.Path, "/login") {
		return "/"
	}
	return next
}
