package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgSampler is a poor man's profiler of the database (pg_stat_statements is
// not installed): every interval it reads pg_stat_activity as the superuser
// and counts, per statement and wait event, the backends busy on it.
type pgSampler struct {
	counts  map[string]int
	samples int
}

// sample runs until ctx ends.
func (p *pgSampler) sample(ctx context.Context, adminURL string, every time.Duration) error {
	p.counts = map[string]int{}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for {
		// Holders of an advisory lock are marked with its key's low 32 bits.
		rows, err := conn.Query(ctx, `SELECT coalesce((SELECT 'HOLDS ' || string_agg(l.objid::text, ',') FROM pg_locks l
				WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted), '') || ' ' || state,
			coalesce(wait_event_type || ':' || wait_event, 'cpu'), query
			FROM pg_stat_activity a WHERE usename = 'gennaker' AND state <> 'idle' AND pid <> pg_backend_pid()`)
		if err != nil {
			return nil // ctx ended
		}
		for rows.Next() {
			var state, wait, q string
			if err := rows.Scan(&state, &wait, &q); err != nil {
				return err
			}
			q = strings.Join(strings.Fields(q), " ")
			if len(q) > 110 {
				q = q[:110]
			}
			p.counts[fmt.Sprintf("%-42s %-24s %s", state, wait, q)]++
		}
		rows.Close()
		p.samples++
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// report prints the n most sampled (state, wait, statement) with the mean
// number of backends on each.
func (p *pgSampler) report(n int) {
	type kv struct {
		k string
		v int
	}
	var all []kv
	total := 0
	for k, v := range p.counts {
		all = append(all, kv{k, v})
		total += v
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v })
	fmt.Printf("pg_stat_activity: %d samples, %.2f busy backends on average; top:\n", p.samples, float64(total)/float64(max(p.samples, 1)))
	for i, e := range all {
		if i == n {
			break
		}
		fmt.Printf("  %5.2f  %s\n", float64(e.v)/float64(max(p.samples, 1)), e.k)
	}
}
