package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/cliconfig"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/server"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/storeurl"
)

func newLoginCmd(g *globals) *cobra.Command {
	var name, ca string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Store an API token for a server in the CLI's config file",
		Long: "Check an API token against the server and store it as a context of the CLI's config file\n" +
			"(mode 0600), so later commands use it. The token comes from --token, GENNAKER_TOKEN or,\n" +
			"when neither is given, standard input (paste it, or pipe it from a secret store).",
		Example: "  gennaker login --server https://gennaker.example.com --token gnk_...\n  vault read -field=token secret/gennaker | gennaker login --server https://gennaker.example.com",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := g.resolve()
			if err != nil {
				return err
			}
			token := g.token
			if token == "" {
				token = os.Getenv("GENNAKER_TOKEN")
			}
			if token == "" {
				fmt.Fprint(cmd.ErrOrStderr(), "API token: ")
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return errors.New("no token given: pass --token, set GENNAKER_TOKEN or type it on standard input")
				}
				token = strings.TrimSpace(line)
			}
			c := client.New(t.server, token)
			if ca != "" {
				if err := c.WithCA(ca); err != nil {
					return err
				}
			}
			who, err := c.Whoami(cmd.Context())
			if err != nil {
				return err
			}
			path, err := cliconfig.Path()
			if err != nil {
				return err
			}
			if name == "" {
				name = cliconfig.ContextName(t.server)
			}
			if ca != "" {
				if ca, err = filepath.Abs(ca); err != nil {
					return err
				}
			}
			err = cliconfig.Update(path, func(f *cliconfig.File) error {
				f.Set(cliconfig.Context{Name: name, Server: c.Base, Token: token, CA: ca})
				f.CurrentContext = name
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "logged in to %s as %s (context %s in %s)\n", c.Base, who.Subject, name, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "context name (default: the server's host:port)")
	cmd.Flags().StringVar(&ca, "certificate-authority", "", "PEM file of the CA of the server's TLS certificate, when the system does not trust it")
	return cmd
}

func newLogoutCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Remove the current (or --context) context and its token from the CLI's config file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := g.resolve()
			if err != nil {
				return err
			}
			if t.context == "" {
				return fmt.Errorf("no context holds a token for %s: nothing to log out of", t.server)
			}
			path, err := cliconfig.Path()
			if err != nil {
				return err
			}
			if err := cliconfig.Update(path, func(f *cliconfig.File) error { f.Remove(t.context); return nil }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed context %s (the token itself still works until it is revoked: `gennaker token revoke`)\n", t.context)
			return nil
		},
	}
}

func newContextCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "context [use NAME]",
		Short: "List the CLI's contexts (servers and their credentials), or choose the current one",
		Args:  cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := cliconfig.Path()
			if err != nil {
				return err
			}
			if len(args) > 0 {
				if args[0] != "use" || len(args) != 2 {
					return errors.New("usage: gennaker context [use NAME]")
				}
				return cliconfig.Update(path, func(f *cliconfig.File) error {
					if _, ok := f.Find(args[1]); !ok {
						return fmt.Errorf("no context named %q in %s: list them with `gennaker context`", args[1], path)
					}
					f.CurrentContext = args[1]
					return nil
				})
			}
			f, err := cliconfig.Load(path)
			if err != nil {
				return err
			}
			if g.output == "json" {
				out := struct {
					Current  string   `json:"current"`
					Contexts []string `json:"contexts"`
				}{f.CurrentContext, []string{}}
				for _, c := range f.Contexts {
					out.Contexts = append(out.Contexts, c.Name)
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "CURRENT\tNAME\tSERVER\tTOKEN")
			for _, c := range f.Contexts {
				cur := ""
				if c.Name == f.CurrentContext {
					cur = "*"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cur, c.Name, c.Server, tokenHint(c.Token))
			}
			return tw.Flush()
		},
	}
	return cmd
}

// tokenHint shows which token a context holds without showing the secret.
func tokenHint(tok string) string {
	if tok == "" {
		return "(none)"
	}
	if id, _, ok := auth.ParseToken(tok); ok {
		return auth.TokenPrefix + id + "_…"
	}
	return "(not a gennaker token)"
}

func newWhoamiCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the server takes you for: your identity, teams and grants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := g.client()
			who, err := c.Whoami(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), who)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s (%s) on %s\n", who.Subject, who.Kind, c.Base)
			if len(who.Teams) > 0 {
				fmt.Fprintf(out, "teams: %s\n", strings.Join(who.Teams, ", "))
			}
			if len(who.Grants) == 0 {
				fmt.Fprintln(out, "grants: none (ask an admin for one)")
			}
			for _, b := range who.Grants {
				fmt.Fprintf(out, "  %-9s %s  (%s)\n", b.Role, b.Scope, b.Source)
			}
			return nil
		},
	}
}

func newUICmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "ui",
		Short: "Print a one-time link that logs a browser in to the web UI as your CLI credential",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			link, err := g.client().LoginLink(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), link)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\n(one-time, valid until %s)\n", link.URL, link.ExpiresAt.Local().Format("15:04:05"))
			return nil
		},
	}
}

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create, list and revoke API tokens (for CI, scripts and people without SSO)"}
	var req api.TokenRequest
	var dataDir, storeURL string
	var envs []string
	create := &cobra.Command{
		Use:   "create NAME --role ROLE",
		Short: "Create an API token; its secret is printed once",
		Long: "Create an API token with one role over a scope: every application (no scope flags), a team's\n" +
			"applications (--team), or one application (--app), optionally narrowed to environments (--env).\n" +
			"Roles: viewer (read), deployer (run pipelines, deploy, roll back, cancel), approver (manual\n" +
			"judgments, canary promote/abort), admin (config, tokens, audit log; everything).\n\n" +
			"With --data DIR or --store URL the token is written straight into the server's store, without the\n" +
			"API: the way to make the first admin token when no CLI credential exists (as the user who owns\n" +
			"DIR, or with the database's credentials: --store postgres://..., or $GENNAKER_STORE).",
		Example: "  gennaker token create ci-checkout --role deployer --app checkout --env staging --expires 30d\n" +
			"  gennaker token create ops --role admin --data /var/lib/gennaker\n" +
			"  GENNAKER_STORE=postgres://gennaker:PASSWORD@db:5432/gennaker gennaker token create admin --role admin",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name, req.Scope.Environments = args[0], envs
			target, offline, err := offlineTarget(dataDir, storeURL)
			if err != nil {
				return err
			}
			var created *api.TokenCreated
			if offline {
				created, err = createTokenOffline(cmd.Context(), target, req)
			} else {
				created, err = g.client().CreateToken(cmd.Context(), req)
			}
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), created)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "token %s: %s on %s, expires %s\n", created.Name, created.Role, created.Scope, created.ExpiresAt.Local().Format("2006-01-02"))
			fmt.Fprintf(out, "%s\n", created.Secret)
			fmt.Fprintln(cmd.ErrOrStderr(), "(shown once: store it in your CI's secrets now; use it as `Authorization: Bearer TOKEN`, GENNAKER_TOKEN, or `gennaker login`)")
			return nil
		},
	}
	create.Flags().Var(newRoleFlag(&req.Role), "role", "viewer, deployer, approver or admin (required)")
	create.Flags().StringVar(&req.Scope.Team, "team", "", "limit to the applications of this team")
	create.Flags().StringVar(&req.Scope.Application, "app", "", "limit to this application")
	create.Flags().StringSliceVar(&envs, "env", nil, "limit deploys and approvals to these environments (repeat or comma-separate)")
	create.Flags().StringVar(&req.ExpiresIn, "expires", "90d", "lifetime: days such as 90d, or a duration such as 12h (at most 730d)")
	create.Flags().StringVar(&dataDir, "data", "", "write into the database in this data directory instead of calling the API")
	create.Flags().StringVar(&storeURL, "store", "", storeFlagUsage)
	create.Flags().StringVar(&req.Owner, "owner", "", "who answers for the token when it is not you, e.g. a CI system or a colleague (admins of everything only; four eyes compares owners)")
	_ = create.MarkFlagRequired("role")

	var all bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			toks, err := g.client().Tokens(cmd.Context(), all)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), toks)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tROLE\tSCOPE\tOWNER\tCREATED BY\tEXPIRES\tSTATE")
			now := time.Now()
			for _, t := range toks {
				state := "active"
				switch {
				case t.RevokedAt != nil:
					state = "revoked by " + t.RevokedBy
				case !now.Before(t.ExpiresAt):
					state = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, t.Scope, cell(t.Owner), t.CreatedBy, t.ExpiresAt.Local().Format("2006-01-02"), state)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&all, "all", false, "include revoked tokens")
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke an active token at once (its browser sessions end too)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := g.client().RevokeToken(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), t)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", t.Name)
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// roleFlag checks --role against the roles.
type roleFlag struct{ r *model.Role }

func newRoleFlag(r *model.Role) *roleFlag { return &roleFlag{r} }
func (f *roleFlag) String() string        { return string(*f.r) }
func (f *roleFlag) Type() string          { return "role" }
func (f *roleFlag) Set(s string) error {
	if !model.Role(s).Valid() {
		return fmt.Errorf("%q is not a role: use viewer, deployer, approver or admin", s)
	}
	*f.r = model.Role(s)
	return nil
}

func createTokenOffline(ctx context.Context, target storeurl.Target, req api.TokenRequest) (*api.TokenCreated, error) {
	st, err := openOffline(ctx, target)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	actor := model.LocalSubjectPrefix + server.LocalUser()
	owner := actor
	if req.Owner != "" {
		owner = req.Owner
	}
	tok, secret, err := api.NewToken(api.TokenParams{TokenRequest: req, CreatedBy: actor, Owner: owner, Now: time.Now()})
	if err != nil {
		return nil, err
	}
	err = st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.TokenInsert(ctx, tok); err != nil {
			return err
		}
		e := model.AuditEntry{Time: time.Now(), Actor: actor, Source: "local", Action: model.AuditTokenCreate, Object: "token/" + tok.Name, Application: tok.Scope.Application, Outcome: model.AuditOK,
			Detail: audit.Detail(map[string]any{"id": tok.ID, "role": tok.Role, "scope": tok.Scope, "expiresAt": tok.ExpiresAt, "note": "created offline in " + target.String()})}
		return tx.AuditAppend(ctx, &e)
	})
	if err != nil {
		return nil, err
	}
	return &api.TokenCreated{Token: *tok, Secret: secret}, nil
}

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read and verify the tamper-evident audit log (admins)"}
	var since, actor, app string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List audit entries, oldest first (the newest --limit)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if since != "" {
				t, err := parseSince(since)
				if err != nil {
					return err
				}
				q.Set("since", t.UTC().Format(time.RFC3339))
			}
			if actor != "" {
				q.Set("actor", actor)
			}
			if app != "" {
				q.Set("application", app)
			}
			q.Set("limit", fmt.Sprint(limit))
			entries, err := g.client().Audit(cmd.Context(), q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), entries)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tTIME\tACTOR\tSOURCE\tACTION\tOBJECT\tOUTCOME\tDETAIL")
			for _, e := range entries {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.Local().Format("2006-01-02 15:04:05"), cell(e.Actor), cell(e.Source), cell(string(e.Action)), cell(e.Object), e.Outcome, cell(oneLine(string(e.Detail), 80)))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&since, "since", "", "only entries after this time (RFC 3339) or this long ago (e.g. 24h)")
	list.Flags().StringVar(&actor, "actor", "", "only entries of this actor")
	list.Flags().StringVar(&app, "app", "", "only entries about this application")
	list.Flags().IntVar(&limit, "limit", 100, "how many entries (at most 1000)")
	var dataDir, storeURL string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain and name the first entry that was changed or removed",
		Long: "Walk the audit log's hash chain from its first entry. Each entry carries the SHA-256 of the one\n" +
			"before it, so changing or deleting an entry breaks the chain there. Exit status 1 when it is broken.\n" +
			"With --data DIR or --store URL (or $GENNAKER_STORE) the store is read directly (the server need not run).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			target, offline, err := offlineTarget(dataDir, storeURL)
			if err != nil {
				return err
			}
			var v *api.AuditVerification
			if offline {
				st, err := openOffline(cmd.Context(), target)
				if err != nil {
					return err
				}
				defer st.Close()
				res, err := api.VerifyAuditChain(cmd.Context(), st)
				if err != nil {
					return err
				}
				v = &res
			} else if v, err = g.client().VerifyAudit(cmd.Context()); err != nil {
				return err
			}
			if g.output == "json" {
				if err := printJSON(cmd.OutOrStdout(), v); err != nil {
					return err
				}
			} else if v.OK {
				fmt.Fprintf(cmd.OutOrStdout(), "audit log intact: %d entries, head %s\n", v.Entries, v.Head)
			}
			if !v.OK {
				return &exitError{code: 1, msg: fmt.Sprintf("audit log broken at entry %d: %s", v.Break.ID, v.Break.Reason)}
			}
			return nil
		},
	}
	verify.Flags().StringVar(&dataDir, "data", "", "read the database in this data directory instead of calling the API")
	verify.Flags().StringVar(&storeURL, "store", "", storeFlagUsage)
	cmd.AddCommand(list, verify)
	return cmd
}

// cell shows a value that came from a request in a table cell: quoted when
// it holds a control character or a tab, so nobody can forge rows or move
// the terminal's cursor through what they sent.
func cell(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x9b {
			return strconv.Quote(s)
		}
	}
	return s
}

func parseSince(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: give a time such as 2026-12-01T10:00:00Z or a duration such as 24h", s)
	}
	return t, nil
}
