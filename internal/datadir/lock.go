// Package datadir guards a data directory (the embedded store's database,
// logs and local instance state): the exclusive lock a server holds on it,
// which offline commands that must not run beside a server take too.
package datadir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the lock's file in a data directory; it holds the pid of the
// process holding the lock.
const LockFile = "server.lock"

// LockedError is returned by Lock when another process holds the lock.
type LockedError struct {
	Dir string
	// PID is the holder's process ID as it wrote it ("" if unreadable).
	PID string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another gennaker process (pid %s) is using %s", e.PID, e.Dir)
}

// Lock takes an exclusive lock on the data directory dir, so two servers
// never share one embedded database (the engine relies on being alone to
// resume a crashed predecessor's work at once) and an offline copy never
// reads under a live server. The kernel drops the lock when the process
// dies, even by kill -9. The error is a *LockedError when the lock is held.
func Lock(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		return nil, &LockedError{Dir: dir, PID: strings.TrimSpace(string(b))}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { f.Close() }, nil
}
