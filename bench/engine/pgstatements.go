package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgStatements reads pg_stat_statements (the server preloads it with
// -pgstatements): what each statement costs per execution, the figure that
// does not depend on how loaded the machine is.
type pgStatements struct{ adminURL string }

// reset creates the extension (once) and zeroes its counters.
func (p pgStatements) reset(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, p.adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `SELECT pg_stat_statements_reset()`)
	return err
}

// report prints the n statements with the most total time, per execution
// (execs executions), with the totals of all statements.
func (p pgStatements) report(ctx context.Context, execs, n int) error {
	conn, err := pgx.Connect(ctx, p.adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT calls, total_exec_time, rows, query FROM pg_stat_statements s
		JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'gennaker' ORDER BY total_exec_time DESC`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var calls, total float64
	var lines []string
	for rows.Next() {
		var c, rs int64
		var ms float64
		var q string
		if err := rows.Scan(&c, &ms, &rs, &q); err != nil {
			return err
		}
		calls += float64(c)
		total += ms
		if len(lines) < n {
			q = strings.Join(strings.Fields(q), " ")
			if len(q) > 120 {
				q = q[:120]
			}
			lines = append(lines, fmt.Sprintf("  %7.2f %9.3f %8.1f  %s", float64(c)/float64(execs), ms/float64(execs), ms*1000/float64(max(c, 1)), q))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	fmt.Printf("pg_stat_statements: %.1f statements and %.2f ms of execution per execution; top by time:\n", calls/float64(execs), total/float64(execs))
	fmt.Printf("  %7s %9s %8s  %s\n", "calls/x", "ms/x", "us/call", "statement")
	for _, l := range lines {
		fmt.Println(l)
	}
	return nil
}
