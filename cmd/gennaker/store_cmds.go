package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/datadir"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/internal/store/storecopy"
	"github.com/gennaker/gennaker/internal/store/storeurl"
)

// storeOrEnv is url, else $GENNAKER_STORE, else the embedded store in the
// data directory. The environment is read when the command runs, not as a
// flag default, so --help never shows a password it holds.
func storeOrEnv(url string) string {
	if url != "" {
		return url
	}
	if u := os.Getenv("GENNAKER_STORE"); u != "" {
		return u
	}
	return "sqlite://" + defaultDataDir()
}

func newMigrateCmd() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the store's schema up to date without serving",
		Long: "Apply the store's pending migrations (gennaker's, then River's) and say what was applied,\n" +
			"or that the store is up to date. A server migrates at start too; this lets you migrate\n" +
			"before rolling out, or check. An embedded store (sqlite://DIR) must not be in use: stop the\n" +
			"server first. On PostgreSQL servers and migrate may start together: migrations take a lock.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			target, err := storeurl.Parse(storeOrEnv(url))
			if err != nil {
				return err
			}
			applied, err := migrateStore(cmd.Context(), target)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, step := range applied {
				fmt.Fprintln(out, "applied", step)
			}
			fmt.Fprintf(out, "%s is up to date\n", target)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "store", "", "the store: sqlite://DATA-DIR or postgres://USER@HOST:5432/DATABASE (default $GENNAKER_STORE, else sqlite:// of the data directory)")
	return cmd
}

// migrateStore applies t's pending migrations and returns what it applied.
func migrateStore(ctx context.Context, t storeurl.Target) ([]string, error) {
	switch t.Kind {
	case storeurl.Postgres:
		pool, err := postgres.Connect(ctx, t.URL)
		if err != nil {
			return nil, fmt.Errorf("migrate %s: %w", t, err)
		}
		defer pool.Close()
		applied, err := postgres.Migrate(ctx, pool, nil)
		if err != nil {
			return nil, fmt.Errorf("migrate %s: %w", t, err)
		}
		return applied, nil
	case storeurl.SQLite:
		if fi, err := os.Stat(t.Dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("migrate %s: no data directory %s: give the server's data directory, as in sqlite://.gennaker", t, t.Dir)
		}
		unlock, err := datadir.Lock(t.Dir)
		if err != nil {
			if errors.As(err, new(*datadir.LockedError)) {
				return nil, fmt.Errorf("migrate %s: %w: stop the server first (it migrates the store itself at start)", t, err)
			}
			return nil, fmt.Errorf("migrate %s: %w", t, err)
		}
		defer unlock()
		st, err := sqlite.Open(ctx, t.DBPath(), nil)
		if err != nil {
			return nil, fmt.Errorf("migrate %s: %w", t, err)
		}
		if err := st.Close(); err != nil {
			return nil, fmt.Errorf("migrate %s: %w", t, err)
		}
		return st.Applied(), nil
	}
	return nil, fmt.Errorf("migrate %s: use sqlite:// or postgres://", t)
}

func newStoreCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Work on a store directly, with no server (copy)",
	}
	cmd.AddCommand(newStoreCopyCmd(g))
	return cmd
}

func newStoreCopyCmd(g *globals) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "copy",
		Short: "Copy the embedded store into a fresh PostgreSQL database, with nothing lost",
		Long: "Copy every row of the embedded store (--from sqlite://DATA-DIR) into a PostgreSQL database\n" +
			"(--to), migrating it first, in one transaction that commits only when every table's row count\n" +
			"matches and the audit chain verifies on the copy. Then start the servers with --store pointing\n" +
			"at the database.\n\n" +
			"Stop the server first: the copy takes the data directory's lock. The database must be fresh:\n" +
			"the copy refuses when any gennaker table in it has rows.\n\n" +
			"River's queued jobs are not copied. Running and waiting stages keep their timers but lose\n" +
			"their workers' claims, and the new server's due scan gives each a new job.\n\n" +
			"Keep the password out of the command line (other users see it): leave it out of the URL and\n" +
			"set PGPASSWORD, or use ~/.pgpass.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				to = postgresFromEnv()
			}
			if to == "" {
				return fmt.Errorf("give the PostgreSQL database to copy to: --to postgres://USER@HOST:5432/DATABASE (or set GENNAKER_STORE)")
			}
			src, err := storeurl.Parse(from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			dst, err := storeurl.Parse(to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			rep, err := storecopy.Copy(cmd.Context(), src, dst, nil)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "TABLE\tROWS")
			for _, t := range rep.Tables {
				fmt.Fprintf(tw, "%s\t%d\n", t.Table, t.Rows)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit chain verified on the copy: %d entries, head %s\n", rep.Audit.Entries, rep.Audit.Head)
			fmt.Fprintf(cmd.OutOrStdout(), "copied %s to %s: start the servers with --store (or GENNAKER_STORE) set to it\n", src, dst)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "sqlite://"+defaultDataDir(), "the embedded store to copy: sqlite://DATA-DIR (the default is the data directory, env GENNAKER_DATA)")
	cmd.Flags().StringVar(&to, "to", "", "the PostgreSQL database to copy into: postgres://USER@HOST:5432/DATABASE (default $GENNAKER_STORE when it names one)")
	return cmd
}

// postgresFromEnv is $GENNAKER_STORE when it names a PostgreSQL store.
func postgresFromEnv() string {
	if t, err := storeurl.Parse(os.Getenv("GENNAKER_STORE")); err == nil && t.Kind == storeurl.Postgres {
		return t.URL
	}
	return ""
}
