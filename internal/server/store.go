package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/storeurl"
)

// openStore opens the store opts name: --store, or the embedded SQLite
// store in the data directory. The embedded store belongs to one server:
// the data directory is made private and locked (released by the returned
// func). A PostgreSQL store is shared by every replica and needs no data
// directory. shared reports the latter.
func openStore(ctx context.Context, opts Options, log *slog.Logger) (st store.Store, shared bool, release func(), err error) {
	raw := opts.Store
	if raw == "" {
		raw = "sqlite://" + opts.DataDir
	}
	target, err := storeurl.Parse(raw)
	if err != nil {
		return nil, false, nil, fmt.Errorf("--store: %w", err)
	}
	release = func() {}
	if target.Kind == storeurl.SQLite {
		if err := privateDataDir(target.Dir, log); err != nil {
			return nil, false, nil, err
		}
		unlock, err := lockDataDir(target.Dir)
		if err != nil {
			return nil, false, nil, err
		}
		dbPath := filepath.Join(target.Dir, storeurl.DBFile)
		if err := privateFiles(dbPath, dbPath+"-wal", dbPath+"-shm"); err != nil {
			unlock()
			return nil, false, nil, err
		}
		release = unlock
	}
	st, err = target.Open(ctx, log)
	if err != nil {
		release()
		return nil, false, nil, err
	}
	log.Info("store open", "store", target.String())
	return st, target.Kind == storeurl.Postgres, release, nil
}

// errLocalOnSharedStore is why a server on a shared store has no local
// target: its instances would run on whichever replica deployed them, and
// the other replicas could neither see nor route to them.
var errLocalOnSharedStore = errors.New("the local target runs processes on one machine, but this server keeps its state in PostgreSQL, where several replicas serve: " +
	"give the environment a kubernetes target, or run a single server on the embedded store (--store sqlite://DIR) for local environments")

// refuseLocalEnvironments refuses, at apply time, environments with the
// local target on a shared store.
func refuseLocalEnvironments(cfg model.Config) error {
	var errs []error
	for _, env := range cfg.Environments {
		if env.Target.Kind == model.TargetLocal || env.Target.Kind == "" {
			errs = append(errs, fmt.Errorf("Environment %s: target.kind: %w", env.Name, errLocalOnSharedStore))
		}
	}
	return errors.Join(errs...)
}

// storeName names the store opts open, without a password.
func storeName(opts Options) string {
	if opts.Store == "" {
		return "sqlite://" + opts.DataDir
	}
	if t, err := storeurl.Parse(opts.Store); err == nil {
		return t.String()
	}
	return "(unparsable store URL)"
}
