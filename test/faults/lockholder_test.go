package faults

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver the server's store uses
)

// holdLockEnv makes the test binary, instead of running tests, open the
// SQLite database at PATH, take its write lock (BEGIN IMMEDIATE), hold it
// for DURATION (a Go duration, or seconds), roll back and exit:
//
//	GENNAKER_FAULTS_HOLD_LOCK=/tmp/.../data/gennaker.db,15s
const holdLockEnv = "GENNAKER_FAULTS_HOLD_LOCK"

// What the lock holder prints on stdout, each followed by a Unix time in ns.
const (
	lockedLine   = "locked"
	releasedLine = "released"
)

// lockWaitLimit bounds how long the lock holder waits for the server's
// current write transaction before it has the lock.
const lockWaitLimit = 30 * time.Second

// holdLockMain is the lock holder's main; it returns the exit code.
func holdLockMain(spec string) int {
	path, hold, err := parseHoldLock(spec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: %v (want PATH,DURATION)\n", holdLockEnv, spec, err)
		return 2
	}
	if err := holdLock(path, hold); err != nil {
		fmt.Fprintf(os.Stderr, "holding the write lock of %s: %v\n", path, err)
		return 1
	}
	return 0
}

func parseHoldLock(spec string) (string, time.Duration, error) {
	i := strings.LastIndexByte(spec, ',')
	if i <= 0 {
		return "", 0, fmt.Errorf("no comma between the path and the duration")
	}
	path, text := spec[:i], strings.TrimSpace(spec[i+1:])
	if secs, err := strconv.ParseFloat(text, 64); err == nil {
		return path, time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return "", 0, fmt.Errorf("duration %q: %w", text, err)
	}
	return path, d, nil
}

// holdLock takes the write lock of the database at path as another process
// would (a backup tool, a second server, an operator's sqlite3 shell), holds
// it for d, and rolls back.
func holdLock(path string, d time.Duration) error {
	ctx := context.Background()
	dsn := fmt.Sprintf("%s?_pragma=busy_timeout(%d)", path, lockWaitLimit.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("BEGIN IMMEDIATE: %w", err)
	}
	fmt.Printf("%s %d\n", lockedLine, time.Now().UnixNano())
	time.Sleep(d) // holding the lock is the point
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		return fmt.Errorf("ROLLBACK: %w", err)
	}
	fmt.Printf("%s %d\n", releasedLine, time.Now().UnixNano())
	return nil
}

// lockHold is one run of the lock holder, as the test saw it.
type lockHold struct {
	Asked            time.Time // when the process was started
	Locked, Released time.Time // as the holder reported them (zero if not)
	Err              error     // the process failed, or did not report both
	Stderr           string
}

// holdWriteLock runs the test binary as a lock holder of the database at
// path for d and returns once it has exited.
func holdWriteLock(ctx context.Context, path string, d time.Duration) lockHold {
	h := lockHold{Asked: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, d+lockWaitLimit+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%s", holdLockEnv, path, d))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		h.Err = err
		return h
	}
	if err := cmd.Start(); err != nil {
		h.Err = fmt.Errorf("starting the lock holder: %w", err)
		return h
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		word, ns, ok := strings.Cut(sc.Text(), " ")
		n, perr := strconv.ParseInt(ns, 10, 64)
		if !ok || perr != nil {
			continue
		}
		switch word {
		case lockedLine:
			h.Locked = time.Unix(0, n)
		case releasedLine:
			h.Released = time.Unix(0, n)
		}
	}
	err = cmd.Wait()
	h.Stderr = strings.TrimSpace(stderr.String())
	switch {
	case err != nil:
		h.Err = fmt.Errorf("the lock holder: %w: %s", err, h.Stderr)
	case h.Locked.IsZero() || h.Released.IsZero():
		h.Err = fmt.Errorf("the lock holder exited without reporting both %q and %q: %s", lockedLine, releasedLine, h.Stderr)
	}
	return h
}

func (h lockHold) String() string {
	if h.Locked.IsZero() {
		return fmt.Sprintf("asked at %s, never locked (%v)", h.Asked.Format("15:04:05.000"), h.Err)
	}
	return fmt.Sprintf("locked %s after asking, held %s", h.Locked.Sub(h.Asked).Round(time.Millisecond), h.Released.Sub(h.Locked).Round(time.Millisecond))
}

// TestHoldLockSpec checks the lock holder's argument parsing.
func TestHoldLockSpec(t *testing.T) {
	for _, tc := range []struct {
		spec string
		path string
		hold time.Duration
		bad  bool
	}{
		{spec: "/d/gennaker.db,15", path: "/d/gennaker.db", hold: 15 * time.Second},
		{spec: "/d/gennaker.db,1.5", path: "/d/gennaker.db", hold: 1500 * time.Millisecond},
		{spec: "/a,b/gennaker.db,300ms", path: "/a,b/gennaker.db", hold: 300 * time.Millisecond},
		{spec: "/d/gennaker.db", bad: true},
		{spec: "/d/gennaker.db,soon", bad: true},
	} {
		path, hold, err := parseHoldLock(tc.spec)
		if tc.bad {
			if err == nil {
				t.Errorf("parseHoldLock(%q) = %q, %s; want an error", tc.spec, path, hold)
			}
			continue
		}
		if err != nil || path != tc.path || hold != tc.hold {
			t.Errorf("parseHoldLock(%q) = %q, %s, %v; want %q, %s", tc.spec, path, hold, err, tc.path, tc.hold)
		}
	}
}
