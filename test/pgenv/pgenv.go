// Package pgenv starts a real PostgreSQL 15 server for tests: initdb into a
// temporary directory, then postgres listening on 127.0.0.1 on a free port,
// with no Unix socket, and each test gets a fresh database of its own.
//
// The binaries come from Debian's postgresql package, which
// scripts/test-deps.sh (make test-deps) installs; pgenv looks in
// $GENNAKER_PG_BINDIR alone when it is set, or else in
// /usr/lib/postgresql/15/bin, `pg_config --bindir` and PATH, in that order. When they are missing the test is skipped, or fails
// when GENNAKER_REQUIRE_ALL=1 (make test).
//
// PostgreSQL refuses to run as root. Run as root (as CI and make test are),
// pgenv starts initdb and postgres as the system user gennaker-test, which
// scripts/test-deps.sh creates, or as nobody when that user does not exist
// ($GENNAKER_PG_USER names another); the temporary directory is chowned to
// that user, so os.TempDir() must be traversable by it (/tmp is). Run as
// anyone else, they run as the current user.
//
// The server trades durability for speed, as only a test server may:
// fsync=off, synchronous_commit=off and full_page_writes=off (a crash of the
// machine can corrupt it; a crash of postgres cannot lose a committed
// transaction's visibility to the tests that follow, since there is none).
//
// Tests connect as the role gennaker (LOGIN, NOSUPERUSER, NOCREATEDB,
// NOCREATEROLE), the owner of each test database, as the docs tell users to
// set up gennaker's own database. The superuser (postgres) is for pgenv's
// own bookkeeping (AdminURL).
//
// One server per test binary (recommended; starting takes about a second):
//
//	func TestMain(m *testing.M) { os.Exit(pgenv.RunShared(m)) }
//
//	func TestX(t *testing.T) {
//		url := pgenv.Shared(t).Database(t) // a fresh database, dropped after the test
//	}
//
// A server of the test's own: pgenv.Start(t). Programs that are not tests
// use Launch and call Stop themselves.
package pgenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/test/internal/testenv"
)

// Hint is the message of the skip (or failure) when PostgreSQL is missing.
const Hint = "run ./scripts/test-deps.sh (or make test-deps), which installs Debian's postgresql (15)"

// Role is the role tests connect as: the owner of each test database, not a
// superuser.
const Role = "gennaker"

// MajorVersion is the PostgreSQL major version the tests are written for.
const MajorVersion = 15

// Server is a running PostgreSQL server.
type Server struct {
	// Dir holds the data directory (data/) and the server's log (postgres.log).
	Dir string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// BinDir is where initdb and postgres were found.
	BinDir string

	superPassword string
	rolePassword  string
	cmd           *exec.Cmd
	done          chan struct{}
	waitErr       error
	stopOnce      sync.Once
	removeOnStop  bool     // Launch's directory
	settings      []string // LaunchWith's, after the defaults
	seq           atomic.Int64
}

// BinDir returns the directory holding initdb and postgres, or an error
// saying how to install them.
func BinDir() (string, error) {
	var candidates []string
	if d := os.Getenv("GENNAKER_PG_BINDIR"); d != "" {
		candidates = append(candidates, d) // alone: no other is looked at
	} else {
		candidates = append(candidates, fmt.Sprintf("/usr/lib/postgresql/%d/bin", MajorVersion))
		candidates = append(candidates, searchedBinDirs()...)
	}
	for _, d := range candidates {
		if isExecutable(filepath.Join(d, "postgres")) && isExecutable(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("pgenv: PostgreSQL's initdb and postgres not found (looked in %s); %s",
		strings.Join(candidates, ", "), Hint)
}

// searchedBinDirs are the directories pg_config and PATH point at.
func searchedBinDirs() []string {
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	return candidates
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Start starts a server for this test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		testenv.Missing(t, err)
	}
	dir, err := os.MkdirTemp("", "pgenv-test-")
	if err != nil {
		t.Fatal(err)
	}
	s, err := start(dir, bin)
	if err != nil {
		t.Fatalf("pgenv: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pgenv: last lines of %s:\n%s", s.LogPath(), s.LogTail(40))
		}
		s.Stop()
		os.RemoveAll(dir)
	})
	return s
}

// Launch starts a server in a new temporary directory for a program that is
// not a test; the caller calls Stop, which also removes the directory.
func Launch() (*Server, error) { return LaunchWith() }

// LaunchWith is Launch with more server settings, each NAME=VALUE as
// postgres -c takes it (e.g. shared_preload_libraries=pg_stat_statements).
func LaunchWith(settings ...string) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgenv-")
	if err != nil {
		return nil, err
	}
	s, err := start(dir, bin, settings...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.removeOnStop = true
	return s, nil
}

var shared struct {
	mu  sync.Mutex
	srv *Server
	err error
	dir string
}

const sharedDirPrefix = "pgenv-shared-"

// Shared returns the server shared by the tests of this test binary,
// starting it on first use. RunShared (in TestMain) stops it; without
// RunShared the server still dies with the test binary and a later Shared
// removes its directory. Tests sharing it work in their own database
// (Database).
func Shared(t testing.TB) *Server {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		testenv.Missing(t, err)
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		dir, err := testenv.SharedDir(sharedDirPrefix)
		if err != nil {
			t.Fatal(err)
		}
		shared.dir = dir
		t0 := time.Now()
		shared.srv, shared.err = start(dir, bin)
		if shared.err == nil {
			t.Logf("pgenv: PostgreSQL ready in %v on 127.0.0.1:%d, log in %s",
				time.Since(t0).Round(time.Millisecond), shared.srv.Port, shared.srv.LogPath())
		}
	}
	if shared.err != nil {
		t.Fatalf("pgenv: shared server: %v", shared.err)
	}
	srv := shared.srv
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pgenv: last lines of %s:\n%s", srv.LogPath(), srv.LogTail(30))
		}
	})
	return srv
}

// RunShared runs the tests, then stops the shared server if one was started.
// Use it as: func TestMain(m *testing.M) { os.Exit(pgenv.RunShared(m)) }
func RunShared(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.Stop()
		shared.srv = nil
	}
	if shared.dir != "" {
		if code == 0 {
			os.RemoveAll(shared.dir)
		} else {
			fmt.Fprintf(os.Stderr, "pgenv: the shared server's log kept in %s\n", filepath.Join(shared.dir, "postgres.log"))
		}
	}
	return code
}

// runAs is the user initdb and postgres run as: nil for the current user,
// or, when the current user is root, gennaker-test, nobody or
// $GENNAKER_PG_USER.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	names := []string{"gennaker-test", "nobody"}
	if n := os.Getenv("GENNAKER_PG_USER"); n != "" {
		names = []string{n}
	}
	for _, n := range names {
		u, err := user.Lookup(n)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, fmt.Errorf("pgenv: running as root, which PostgreSQL refuses, and no unprivileged user among %s to run it as; "+
		"./scripts/test-deps.sh creates gennaker-test", strings.Join(names, ", "))
}

// start runs initdb in dir/data and starts postgres. dir must exist and be
// empty but for owner.pid.
func start(dir, bin string, settings ...string) (*Server, error) {
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, BinDir: bin, superPassword: randomHex(), rolePassword: randomHex(), settings: settings}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("pgenv: chown %s to the user postgres runs as: %w", dir, err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	pwfile := filepath.Join(dir, "superuser.pw")
	if err := os.WriteFile(pwfile, []byte(s.superPassword+"\n"), 0o600); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(pwfile, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"),
		"--pgdata="+filepath.Join(dir, "data"),
		"--username=postgres",
		"--pwfile="+pwfile,
		"--auth-host=scram-sha-256",
		"--auth-local=peer",
		"--encoding=UTF8",
		"--no-locale",
		"--no-sync",
		"--no-instructions",
	)
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	os.Remove(pwfile)

	// A free port is free only until someone takes it: try again on a new
	// one if postgres cannot bind.
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.Port = port
		err = s.startPostgres(cred)
		if err == nil {
			break
		}
		s.terminate()
		if attempt == 2 || !strings.Contains(s.LogTail(20), "could not bind") {
			return nil, fmt.Errorf("%w\nlast lines of %s:\n%s", err, s.LogPath(), s.LogTail(30))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.createRole(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// startPostgres starts the server and waits until it accepts connections.
func (s *Server) startPostgres(cred *syscall.Credential) error {
	log, err := os.OpenFile(s.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := []string{
		"-D", filepath.Join(s.Dir, "data"),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port=" + strconv.Itoa(s.Port),
		"-c", "unix_socket_directories=", // TCP only: no socket in a shared directory
		// A test server: durability traded for speed (see the package doc).
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "timezone=UTC",
		"-c", "log_timezone=UTC",
	}
	for _, kv := range s.settings {
		args = append(args, "-c", kv)
	}
	fmt.Fprintf(log, "=== %s postgres %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
	cmd := exec.Command(filepath.Join(s.BinDir, "postgres"), args...)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = log, log
	// Set after the credentials by the Go runtime, so it holds for the
	// unprivileged postgres too: no server outlives its test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		log.Close()
		close(s.done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last error
	for {
		select {
		case <-s.done:
			return fmt.Errorf("postgres exited: %v", s.waitErr)
		default:
		}
		c, cancelOne := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(c, s.AdminURL())
		cancelOne()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections within 30s (last error: %v)", last)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// createRole creates the role tests connect as.
func (s *Server) createRole(ctx context.Context) error {
	return s.admin(ctx, fmt.Sprintf(
		"CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '%s'", Role, s.rolePassword))
}

// admin runs statements as the superuser, on the postgres database.
func (s *Server) admin(ctx context.Context, stmts ...string) error {
	conn, err := pgx.Connect(ctx, s.AdminURL())
	if err != nil {
		return fmt.Errorf("pgenv: connect as superuser: %w", err)
	}
	defer conn.Close(context.Background())
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("pgenv: %s: %w", q, err)
		}
	}
	return nil
}

// AdminURL is a connection URL for the superuser on the postgres database.
// Tests should use Database: gennaker does not run as a superuser.
func (s *Server) AdminURL() string { return s.url("postgres", s.superPassword, "postgres") }

// URL is a connection URL for Role on database db.
func (s *Server) URL(db string) string { return s.url(Role, s.rolePassword, db) }

func (s *Server) url(role, password, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(role, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Database creates a fresh database owned by Role for this test and returns
// its connection URL (as Role). It is dropped when the test ends, with any
// connections still open to it.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, err := s.CreateDatabase(ctx, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.DropDatabase(ctx, name); err != nil {
			t.Errorf("pgenv: %v", err)
		}
	})
	return s.URL(name)
}

// CreateDatabase creates a database owned by Role, named after hint with a
// unique suffix, and returns its name.
func (s *Server) CreateDatabase(ctx context.Context, hint string) (string, error) {
	base := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return '_'
	}, hint)
	if len(base) > 40 {
		base = base[:40]
	}
	name := fmt.Sprintf("%s_%d", strings.Trim(base, "_"), s.seq.Add(1))
	if name[0] >= '0' && name[0] <= '9' || name[0] == '_' {
		name = "db_" + name
	}
	if err := s.admin(ctx, fmt.Sprintf("CREATE DATABASE %s OWNER %s", name, Role)); err != nil {
		return "", err
	}
	return name, nil
}

// DropDatabase drops a database, closing the connections still open to it.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	return s.admin(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{name}.Sanitize()))
}

// LogPath is the server's log file.
func (s *Server) LogPath() string { return filepath.Join(s.Dir, "postgres.log") }

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	data, err := os.ReadFile(s.LogPath())
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stop shuts the server down (fast shutdown: SIGINT, then SIGKILL after 10 s).
// Start and RunShared call it for you; Launch's callers call it, and it then
// also removes the directory.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.terminate()
		if s.removeOnStop {
			os.RemoveAll(s.Dir)
		}
	})
}

// terminate stops the postgres process, if it runs.
func (s *Server) terminate() {
	if s.cmd == nil || s.done == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
