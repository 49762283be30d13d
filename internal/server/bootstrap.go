package server

import (
	"context"
	"fmt"
	"log/slog"
	"os/user"
	"regexp"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/cliconfig"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// localAdminTTL is the lifetime of the CLI credential the server writes for
// the user who starts it; a start after it expired writes a new one.
const localAdminTTL = 365 * 24 * time.Hour

// systemActor is the audit actor of what the server does on its own.
const systemActor = "gennaker-server"

// Bootstrap is what a start did about credentials.
type Bootstrap struct {
	// Token is the local admin's API token when this start created it ("" otherwise).
	Token string
	// ConfigPath is the CLI credentials file written ("" when none).
	ConfigPath string
	// LoginURL is a one-time UI login link, made when the server created the
	// local admin's credential (first start, or the old one was lost).
	LoginURL string
}

// bootstrap makes sure the user who started the server can use the CLI on
// this machine with no set-up: the CLI credentials file holds a context for
// this server with a working admin token. When it does not (first start, a
// lost file, an expired or revoked token), the server creates a new admin
// token named local-USER (revoking an older one of that name), writes it
// there (mode 0600), and prints a one-time login link for the UI.
//
// On a shared store (several replicas, likely on machines nobody logs in
// to) it does this only when --cli-config names a file: replicas starting
// at once would otherwise each replace the others' token.
func bootstrap(ctx context.Context, st store.Store, shared bool, a *authn.Authenticator, log *slog.Logger, opts Options, serverURL string) (Bootstrap, error) {
	var b Bootstrap
	if opts.CLIConfig == "-" || (shared && opts.CLIConfig == "") {
		return b, nil
	}
	path := opts.CLIConfig
	if path == "" {
		p, err := cliconfig.Path()
		if err != nil {
			noCredential(log, opts, err)
			return b, nil
		}
		path = p
	}
	f, err := cliconfig.Load(path)
	if err != nil {
		noCredential(log, opts, err)
		return b, nil
	}
	working := func(c cliconfig.Context) bool {
		if c.Token == "" {
			return false
		}
		tok, err := a.Token(ctx, c.Token)
		return err == nil && tok.Role == model.RoleAdmin && tok.Scope.Global()
	}
	if c, ok := f.ForServer(serverURL); ok && working(*c) {
		return b, nil
	}
	// The server moved (another port, a new name): a context of its old
	// address holds a token that still works here.
	for _, c := range f.Contexts {
		if working(c) {
			err := cliconfig.Update(path, func(f *cliconfig.File) error {
				f.Set(cliconfig.Context{Name: cliconfig.ContextName(serverURL), Server: serverURL, Token: c.Token, CA: c.CA})
				return nil
			})
			if err == nil {
				b.ConfigPath = path
				log.Info("CLI credential of "+c.Server+" also written for "+serverURL, "file", path)
			}
			return b, err
		}
	}
	user := LocalUser()
	name := "local-" + sanitize(user)
	now := time.Now().UTC()
	tok, secret, err := api.NewToken(api.TokenParams{TokenRequest: api.TokenRequest{Name: name, Role: model.RoleAdmin, ExpiresIn: fmt.Sprintf("%dd", int(localAdminTTL.Hours()/24))}, CreatedBy: systemActor, Owner: model.LocalSubjectPrefix + user, Now: now})
	if err != nil {
		return b, fmt.Errorf("creating the local admin token: %w", err)
	}
	err = st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.TokenRevoke(ctx, store.TokenRevokeParams{Name: name, By: systemActor, At: now}); err == nil {
			e := model.AuditEntry{Time: now, Actor: systemActor, Action: model.AuditTokenRevoke, Object: "token/" + name, Outcome: model.AuditOK,
				Detail: audit.Detail("replaced: the CLI credentials file had no working token for this server")}
			if err := tx.AuditAppend(ctx, &e); err != nil {
				return err
			}
		}
		if err := tx.TokenInsert(ctx, tok); err != nil {
			return err
		}
		e := model.AuditEntry{Time: now, Actor: systemActor, Action: model.AuditTokenCreate, Object: "token/" + name, Outcome: model.AuditOK,
			Detail: audit.Detail(map[string]any{"id": tok.ID, "role": tok.Role, "expiresAt": tok.ExpiresAt, "note": "the CLI credential of the user who started the server, written to " + path})}
		return tx.AuditAppend(ctx, &e)
	})
	if err != nil {
		return b, fmt.Errorf("storing the local admin token: %w", err)
	}
	err = cliconfig.Update(path, func(f *cliconfig.File) error {
		c := cliconfig.Context{Name: cliconfig.ContextName(serverURL), Server: serverURL, Token: secret}
		if opts.TLSCert != "" {
			c.CA = opts.TLSCert
		}
		f.Set(c)
		return nil
	})
	if err != nil {
		noCredential(log, opts, err)
		return b, nil
	}
	b.Token, b.ConfigPath = secret, path
	link, _, err := a.NewLoginLink(ctx, tok.ID)
	if err != nil {
		return b, err
	}
	b.LoginURL = serverURL + "/login?token=" + link
	log.Info("CLI credential written: gennaker commands on this machine now act as admin token "+name, "file", path, "context", cliconfig.ContextName(serverURL))
	return b, nil
}

// noCredential logs why the server wrote no CLI credential, and how to
// make one by hand. The server starts anyway: the CLI is not the only way in.
func noCredential(log *slog.Logger, opts Options, err error) {
	where := "--data " + opts.DataDir
	if opts.Store != "" {
		where = "--store URL"
	}
	log.Warn("no CLI credential written: "+err.Error(),
		"fix", "create an admin token with `gennaker token create NAME --role admin "+where+"`")
}

// LocalUser is the name of the user running this process ("admin" when the
// system cannot tell): the server's own tokens, and tokens made offline
// with --data, are owned by model.LocalSubjectPrefix + LocalUser().
func LocalUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "admin"
}

var notNameChars = regexp.MustCompile(`[^a-z0-9._-]+`)

// sanitize makes a user name fit a token name.
func sanitize(s string) string {
	s = strings.Trim(notNameChars.ReplaceAllString(strings.ToLower(s), "-"), "-._")
	if s == "" {
		s = "admin"
	}
	if len(s) > 50 {
		s = s[:50]
	}
	return s
}
