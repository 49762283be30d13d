package e2e

import (
	"database/sql"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
	_ "modernc.org/sqlite" // the "sqlite" driver, to tamper with a database as an attacker with file access would
)

// tamperaudit DB ID changes the actor of audit entry ID behind the server's
// back: it drops the append-only trigger (anyone who can write the file can)
// and rewrites the row, as someone covering their tracks would.
func cmdTamperAudit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tamperaudit DB ID")
	}
	id, err := strconv.Atoi(args[1])
	ts.Check(err)
	db, err := sql.Open("sqlite", ts.MkAbs(args[0])+"?_pragma=busy_timeout(10000)")
	ts.Check(err)
	defer db.Close()
	_, err = db.Exec(`DROP TRIGGER IF EXISTS audit_no_update`)
	ts.Check(err)
	res, err := db.Exec(`UPDATE audit SET actor = 'someone-else' WHERE id = ?`, id)
	ts.Check(err)
	if n, _ := res.RowsAffected(); n != 1 {
		ts.Fatalf("no audit entry %d to tamper with", id)
	}
}
