package pgenv_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/test/pgenv"
)

func TestMain(m *testing.M) { os.Exit(pgenv.RunShared(m)) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestServer checks the shared server is the one the tests are written for,
// set up as the package doc says.
func TestServer(t *testing.T) {
	t.Parallel()
	srv := pgenv.Shared(t)
	conn := connect(t, srv.AdminURL())
	var num int
	if err := conn.QueryRow(t.Context(), "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatal(err)
	}
	if num/10000 != pgenv.MajorVersion {
		t.Errorf("server_version_num = %d, want PostgreSQL %d", num, pgenv.MajorVersion)
	}
	for setting, want := range map[string]string{
		"listen_addresses":        "127.0.0.1",
		"unix_socket_directories": "",
		"fsync":                   "off",
		"synchronous_commit":      "off",
		"full_page_writes":        "off",
		"TimeZone":                "UTC",
	} {
		var got string
		if err := conn.QueryRow(t.Context(), "SELECT current_setting($1)", setting).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	// PostgreSQL refuses root; as root, pgenv runs it as another user.
	fi, err := os.Stat(filepath.Join(srv.Dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != uint32(os.Geteuid()) && os.Geteuid() != 0 {
		t.Errorf("data directory owned by uid %d, want the current user %d", uid, os.Geteuid())
	} else if os.Geteuid() == 0 && uid == 0 {
		t.Error("data directory owned by root: postgres must run as an unprivileged user")
	}
}

// TestDatabase: each test gets a database of its own, owned by a role that
// is not a superuser, and it is dropped when the test ends.
func TestDatabase(t *testing.T) {
	t.Parallel()
	srv := pgenv.Shared(t)
	var names []string
	for _, sub := range []string{"first", "second"} {
		t.Run(sub, func(t *testing.T) {
			conn := connect(t, srv.Database(t))
			var db, role string
			var super, createdb, createrole bool
			err := conn.QueryRow(t.Context(), `SELECT current_database(), current_user, rolsuper, rolcreatedb, rolcreaterole
FROM pg_roles WHERE rolname = current_user`).Scan(&db, &role, &super, &createdb, &createrole)
			if err != nil {
				t.Fatal(err)
			}
			if role != pgenv.Role || super || createdb || createrole {
				t.Errorf("connected as %s (superuser %v, createdb %v, createrole %v); want %s with none of them",
					role, super, createdb, createrole, pgenv.Role)
			}
			if !strings.HasPrefix(db, "testdatabase_"+sub) {
				t.Errorf("database %q is not named after the test", db)
			}
			// The owner can create tables in the public schema.
			if _, err := conn.Exec(t.Context(), "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			names = append(names, db)
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("databases %v: want two distinct ones", names)
	}
	conn := connect(t, srv.AdminURL())
	var left int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = ANY($1)", names).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d of the databases %v outlived their test", left, names)
	}
}

// TestStart: a server of the test's own, stopped when it ends.
func TestStart(t *testing.T) {
	t.Parallel()
	var srv *pgenv.Server
	t.Run("own", func(t *testing.T) {
		srv = pgenv.Start(t)
		conn := connect(t, srv.Database(t))
		if err := conn.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	if srv == nil {
		return // skipped
	}
	if _, err := pgx.Connect(t.Context(), srv.AdminURL()); err == nil {
		t.Error("the server still accepts connections after its test ended")
	}
	if _, err := os.Stat(srv.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after the test (%v)", srv.Dir, err)
	}
}
