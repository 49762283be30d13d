package server

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
)

// privateDataDir creates the data directory mode 0700, or narrows an
// existing one to it: it holds the database (tokens' hashes, the audit
// log, every execution) and the local instances' logs.
func privateDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating data directory %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("data directory %s is readable by other users (mode %v) and could not be narrowed to 0700: %w: chmod 700 it", dir, st.Mode().Perm(), err)
		}
		log.Info("data directory narrowed to mode 0700 (it was readable by other users)", "dir", dir, "was", st.Mode().Perm().String())
	}
	return nil
}

// privateFiles creates the database file mode 0600 before SQLite opens it
// (SQLite gives its -wal and -shm files the database's mode), and narrows
// files left by older versions.
func privateFiles(db string, others ...string) error {
	f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("creating %s: %w", db, err)
	}
	f.Close()
	for _, p := range append([]string{db}, others...) {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("narrowing %s to mode 0600: %w", p, err)
		}
	}
	return nil
}
