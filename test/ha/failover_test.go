package ha

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// openReadOnly opens a pool on the store's database whose sessions cannot
// write: the test looks at what the replicas store, never changes it.
func openReadOnly(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.ConnConfig.RuntimeParams["application_name"] = "gennaker-ha-test"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// claim is a stage's claim as the store holds it: the worker step that
// holds the stage (claimed_by, "job/ID/ATTEMPT/N"), or, for a stage no
// step holds yet, the job queued for it ("queued at TIME"): a replica may
// die after fetching that job and before it claims the stage.
type claim struct {
	Execution, Stage, By string
}

// claims reads every claim held and every job queued now.
func claims(ctx context.Context, db *pgxpool.Pool) ([]claim, error) {
	rows, err := db.Query(ctx, `SELECT execution_id, name, coalesce(claimed_by, 'queued at ' || queued_at::text)
		FROM stage WHERE claimed_by IS NOT NULL OR queued_at IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []claim
	for rows.Next() {
		var c claim
		if err := rows.Scan(&c.Execution, &c.Stage, &c.By); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// failover is what one kill cost: the failover time is from the SIGKILL
// until no stage still carries a claim (or a queued job) it carried at the
// kill. The dead
// replica can renew or release none of its claims, so each of them stays
// until it expires (--claim-ttl after its last renewal) and the due scan
// of a live replica gives the stage a new step; the live replica's claims
// at that moment move on as soon as their step ends. The time is thus
// set by the dead replica's claims whenever it held any, and is an upper
// bound on their takeover: the test cannot tell the two replicas' claims
// apart (a claim names a job of the queue, not a replica).
type failover struct {
	Kill    int
	Replica string
	At      time.Time
	Claims  int           // claims held at the kill (both replicas')
	Slow    int           // of them, those that lasted over slowClaim after it
	Took    time.Duration // until every one of them had moved on
	Err     error
}

// failoverSlack is how much longer than the claim TTL a takeover may take:
// the due scan's second, and a machine busy with two replicas, PostgreSQL
// and a Kubernetes control plane.
const failoverSlack = 10 * time.Second

// slowClaim separates a claim taken over after the kill (it waits for its
// TTL) from one whose step simply ended.
const slowClaim = 2 * time.Second

// measureFailover watches the claims held right after a kill until each
// has moved on (the stage released it or another step holds the stage),
// polling every 100 ms.
func measureFailover(ctx context.Context, db *pgxpool.Pool, f *failover, limit time.Duration) {
	held, err := claims(ctx, db)
	if err != nil {
		f.Err = fmt.Errorf("reading the claims after the kill: %w", err)
		return
	}
	f.Claims = len(held)
	deadline := f.At.Add(limit)
	for len(held) > 0 {
		now, err := claims(ctx, db)
		if err != nil {
			if ctx.Err() != nil {
				f.Err = ctx.Err()
				return
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		seen := time.Now()
		held = slices.DeleteFunc(held, func(c claim) bool {
			gone := !slices.Contains(now, c)
			if gone && seen.Sub(f.At) > slowClaim {
				f.Slow++
			}
			return gone
		})
		f.Took = seen.Sub(f.At)
		if len(held) == 0 {
			return
		}
		if seen.After(deadline) {
			f.Err = fmt.Errorf("%d claims held at the kill still held %s later: %v", len(held), limit, held)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// failoverLog collects the measurements of every kill.
type failoverLog struct {
	mu  sync.Mutex
	all []*failover
	wg  sync.WaitGroup
}

func (l *failoverLog) measure(ctx context.Context, db *pgxpool.Pool, f *failover, limit time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, f)
	l.mu.Unlock()
	l.wg.Add(1)
	go func() { defer l.wg.Done(); measureFailover(ctx, db, f, limit) }()
}

// summary is the failover times' median and maximum over every kill.
func (l *failoverLog) summary() (median, maximum time.Duration, withClaims int) {
	var ds []time.Duration
	for _, f := range l.all {
		ds = append(ds, f.Took)
		if f.Claims > 0 {
			withClaims++
		}
	}
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	median = ds[len(ds)/2]
	if len(ds)%2 == 0 {
		median = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return median, ds[len(ds)-1], withClaims
}

func (l *failoverLog) report(t *testing.T, claimTTL time.Duration) {
	t.Helper()
	l.wg.Wait()
	for _, f := range l.all {
		if f.Err != nil {
			t.Errorf("kill #%d (%s): %v", f.Kill, f.Replica, f.Err)
		}
		// A dead replica's claim lasts at most the TTL past its last
		// renewal; the due scan runs every second. The rest is slack for
		// a loaded machine.
		if limit := claimTTL + failoverSlack; f.Took > limit {
			t.Errorf("kill #%d (%s): its claims moved on only %s after the kill, want within --claim-ttl + %s = %s",
				f.Kill, f.Replica, f.Took.Round(time.Millisecond), failoverSlack, limit)
		}
		t.Logf("kill #%d of %s at %s: %d claims held, %d taken over after %s, all moved on %s after the kill",
			f.Kill, f.Replica, f.At.Format("15:04:05.000"), f.Claims, f.Slow, slowClaim, f.Took.Round(time.Millisecond))
	}
	median, maximum, withClaims := l.summary()
	// One line for bench/failover to parse.
	t.Logf("HA-FAILOVER kills=%d with_claims=%d claim_ttl=%s median_ms=%d max_ms=%d",
		len(l.all), withClaims, claimTTL, median.Milliseconds(), maximum.Milliseconds())
}
