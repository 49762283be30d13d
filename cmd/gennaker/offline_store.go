package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/storeurl"
)

// storeFlagUsage is the help of --store on the commands that can work on
// the store itself instead of calling the API.
const storeFlagUsage = "work on this store instead of calling the API: sqlite://DATA-DIR (the same as --data) or postgres://USER:PASSWORD@HOST:5432/DATABASE (default $GENNAKER_STORE)"

// offlineTarget is the store an offline command works on: --data DIR (the
// same as --store sqlite://DIR), --store URL, or else $GENNAKER_STORE, read
// when the command runs so that --help never shows a password it holds.
// ok is false when none is given: the command calls the API.
func offlineTarget(dataDir, storeURL string) (t storeurl.Target, ok bool, err error) {
	switch {
	case dataDir != "" && storeURL != "":
		return t, false, errors.New("give --data DIR or --store URL, not both (--data DIR is --store sqlite://DIR)")
	case dataDir != "":
		storeURL = "sqlite://" + dataDir
	case storeURL == "":
		storeURL = os.Getenv("GENNAKER_STORE")
	}
	if storeURL == "" {
		return t, false, nil
	}
	t, err = storeurl.Parse(storeURL)
	if err != nil {
		return t, false, fmt.Errorf("--store: %w", err)
	}
	return t, true, nil
}

// openOffline opens the store t names for offline work. An embedded store
// must already exist, so that a mistyped directory is not given a new,
// empty database; a PostgreSQL database is migrated as a server would.
func openOffline(ctx context.Context, t storeurl.Target) (store.Store, error) {
	if t.Kind == storeurl.SQLite {
		if _, err := os.Stat(filepath.Join(t.Dir, storeurl.DBFile)); err != nil {
			return nil, fmt.Errorf("no gennaker database in %s (%v): give the server's --data directory", t.Dir, err)
		}
	}
	st, err := t.Open(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", t, err)
	}
	return st, nil
}
