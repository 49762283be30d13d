package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/notify"
	"github.com/gennaker/gennaker/internal/server"
	"github.com/gennaker/gennaker/internal/store/storeurl"
)

func defaultDataDir() string {
	if d := os.Getenv("GENNAKER_DATA"); d != "" {
		return d
	}
	return ".gennaker"
}

func newServerCmd() *cobra.Command {
	opts := server.Options{}
	var debug bool
	var oidc authn.OIDCConfig
	var oidcSecretFile, digestAt string
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the gennaker server (API, durable engine, local target)",
		Long: "Run the gennaker server. State lives in --data (default ./.gennaker or $GENNAKER_DATA),\n" +
			"or in PostgreSQL with --store postgres://... (several replicas may share one database).\n" +
			"Executions survive a crash: restart the server and they resume.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			// Read at run time, not as the flag's default, so --help never
			// prints a password.
			if !cmd.Flags().Changed("store") {
				opts.Store = os.Getenv("GENNAKER_STORE")
			} else if t, err := storeurl.Parse(opts.Store); err == nil && t.HasPassword() {
				opts.Logger.Warn("the --store URL holds a password, which every user of this machine can read in the process list",
					"fix", "pass the URL in $GENNAKER_STORE, or the password in PGPASSWORD or ~/.pgpass")
			}
			if oidc.Issuer != "" {
				secret, err := oidcSecret(oidcSecretFile)
				if err != nil {
					return err
				}
				oidc.ClientSecret = secret
				opts.OIDC = &oidc
			}
			if digestAt != "" {
				at, err := notify.ParseDigestSchedule(digestAt)
				if err != nil {
					return fmt.Errorf("--kpi-digest-at: %w", err)
				}
				opts.KPIDigestAt = &at
			}
			return server.Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DataDir, "data", defaultDataDir(), "data directory (env GENNAKER_DATA): the embedded store, logs and local instances")
	cmd.Flags().StringVar(&opts.Store, "store", "", "store URL (default $GENNAKER_STORE, else the embedded store in --data): sqlite://DIR, or postgres://USER@HOST:5432/DB for several replicas on one database (the password from $GENNAKER_STORE, PGPASSWORD or ~/.pgpass, not a flag, which every user of the machine can read)")
	cmd.Flags().DurationVar(&opts.SLOInterval, "slo-interval", 30*time.Second, "how often the SLOs are evaluated (by one replica at a time)")
	cmd.Flags().DurationVar(&opts.ClaimTTL, "claim-ttl", 20*time.Second, "with several replicas, how soon another takes over the steps of one that died (a step's claim lasts this long unless renewed)")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:7070", "API listen address (loopback by default)")
	cmd.Flags().IntVar(&opts.Workers, "workers", 100, "stage jobs run at once, and executions this server started carried on at once")
	cmd.Flags().BoolVar(&debug, "debug", false, "log debug messages")
	cmd.Flags().BoolVar(&opts.DestroyOnExit, "destroy-on-exit", false, "stop every local instance and front-door process when the server stops (the demo uses this)")
	_ = cmd.Flags().MarkHidden("destroy-on-exit")
	cmd.Flags().StringSliceVar(&opts.PassEnv, "pass-env", nil, "a variable of the server's environment that local instances get too (they get only PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TZ, TMPDIR and TERM of it otherwise); repeat for several")
	cmd.Flags().StringVar(&opts.TLSCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	cmd.Flags().StringVar(&opts.TLSKey, "tls-key", "", "the TLS certificate's private key (PEM)")
	cmd.Flags().StringSliceVar(&opts.AllowedHosts, "allowed-host", nil, "a DNS name clients may use for this server (IP addresses and localhost always work; repeat for several)")
	cmd.Flags().StringVar(&opts.PublicURL, "public-url", "", "the URL people open (behind a proxy, say), e.g. https://gennaker.example.com; its host is allowed and https makes cookies Secure")
	cmd.Flags().StringVar(&opts.CLIConfig, "cli-config", "", "CLI credentials file the server writes the local admin's token to (default: $GENNAKER_CONFIG or ~/.config/gennaker/config.yaml; - for none)")
	cmd.Flags().StringVar(&oidc.Issuer, "oidc-issuer", "", "log people in to the UI through this OpenID Connect provider (issuer URL)")
	cmd.Flags().StringVar(&oidc.ClientID, "oidc-client-id", "", "the OIDC client ID registered for gennaker")
	cmd.Flags().StringVar(&oidcSecretFile, "oidc-client-secret-file", "", "file holding the OIDC client secret (or set GENNAKER_OIDC_CLIENT_SECRET)")
	cmd.Flags().StringVar(&oidc.RedirectURL, "oidc-redirect-url", "", "this server's callback URL registered at the provider: <public URL>/auth/oidc/callback")
	cmd.Flags().StringVar(&oidc.GroupsClaim, "oidc-groups-claim", "groups", "ID token claim listing the user's groups (mapped to teams)")
	cmd.Flags().StringSliceVar(&oidc.Scopes, "oidc-scopes", nil, "scopes to ask for besides openid (default email,profile,groups)")
	cmd.Flags().StringVar(&opts.OIDCName, "oidc-name", "", "the provider's name on the login button (default \"single sign-on\")")
	cmd.Flags().StringVar(&digestAt, "kpi-digest-at", "mon 09:00", "when the weekly KPI digest goes to notifications that name kpi_digest: a weekday and HH:MM, UTC")
	return cmd
}

// oidcSecret reads the OIDC client secret by reference: a file, or the
// environment. It is never a flag value (other users see a process's
// arguments).
func oidcSecret(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if v := os.Getenv("GENNAKER_OIDC_CLIENT_SECRET"); v != "" {
		return v, nil
	}
	return "", nil
}
