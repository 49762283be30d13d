package ha

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/internal/webhookrecv"
	"github.com/gennaker/gennaker/test/k8senv"
)

// execRow is an execution as the store holds it, with its stages by name.
type execRow struct {
	ID, Pipeline, Application, Status, Reason, Version string
	CreatedAt                                          time.Time
	EndedAt                                            *time.Time
	Stages                                             map[string]stageRow
}

type stageRow struct {
	Status, Reason string
}

// readExecutions reads every execution and its stages.
func readExecutions(ctx context.Context, db *pgxpool.Pool) ([]execRow, error) {
	rows, err := db.Query(ctx, `SELECT id, pipeline, application, status, reason, coalesce(params->>'version', ''), created_at, ended_at
		FROM execution ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	var out []execRow
	byID := map[string]int{}
	for rows.Next() {
		var e execRow
		if err := rows.Scan(&e.ID, &e.Pipeline, &e.Application, &e.Status, &e.Reason, &e.Version, &e.CreatedAt, &e.EndedAt); err != nil {
			rows.Close()
			return nil, err
		}
		e.Stages = map[string]stageRow{}
		byID[e.ID] = len(out)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.Query(ctx, `SELECT execution_id, name, status, reason FROM stage`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		var s stageRow
		if err := rows.Scan(&id, &name, &s.Status, &s.Reason); err != nil {
			return nil, err
		}
		if i, ok := byID[id]; ok {
			out[i].Stages[name] = s
		}
	}
	return out, rows.Err()
}

func (e execRow) stageLine() string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(e.Stages)) {
		s := e.Stages[name]
		p := name + "=" + s.Status
		if s.Reason != "" {
			p += " (" + s.Reason + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// waitAllTerminal waits until every execution has ended: none is stuck.
// It reports those still running after limit, and false.
func waitAllTerminal(ctx context.Context, t *testing.T, db *pgxpool.Pool, limit time.Duration) ([]execRow, bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		execs, err := readExecutions(ctx, db)
		if err != nil {
			t.Fatalf("reading executions: %v", err)
		}
		running := 0
		for _, e := range execs {
			if e.Status == string(model.ExecutionRunning) {
				running++
			}
		}
		if running == 0 {
			return execs, true
		}
		if time.Now().After(deadline) {
			for _, e := range execs {
				if e.Status == string(model.ExecutionRunning) {
					t.Errorf("execution %s (%s) still running %s after the last kill: %s", e.ID, e.Pipeline, limit, e.stageLine())
				}
			}
			return execs, false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkExecutions: every execution the API acknowledged (and any whose
// answer a kill swallowed) ended succeeded, with every stage succeeded.
func checkExecutions(t *testing.T, execs []execRow, st *starter) {
	t.Helper()
	started, lost := int(st.started.Load()), int(st.lost.Load())
	if len(execs) < started || len(execs) > started+lost {
		t.Errorf("%d executions stored; %d starts acknowledged and %d lost to kills, so want %d to %d", len(execs), started, lost, started, started+lost)
	}
	byPipeline := map[string]int{}
	for _, e := range execs {
		byPipeline[e.Pipeline]++
		if e.Status != string(model.ExecutionSucceeded) {
			t.Errorf("execution %s (%s) ended %s (%s), want succeeded: %s", e.ID, e.Pipeline, e.Status, e.Reason, e.stageLine())
		}
		if e.EndedAt == nil {
			t.Errorf("execution %s (%s) is %s but has no ended_at", e.ID, e.Pipeline, e.Status)
		}
		want := 3
		if strings.HasPrefix(e.Pipeline, "release-") {
			want = 4
		}
		if len(e.Stages) != want {
			t.Errorf("execution %s (%s) has %d stages, want %d", e.ID, e.Pipeline, len(e.Stages), want)
		}
		for name, s := range e.Stages {
			if s.Status != string(model.StageSucceeded) {
				t.Errorf("execution %s (%s) stage %s is %s (%s), want succeeded", e.ID, e.Pipeline, name, s.Status, s.Reason)
			}
		}
	}
	t.Logf("%d executions (%d starts acknowledged, %d answers lost to kills), by pipeline: %v", len(execs), started, lost, byPipeline)
}

// checkEvents: exactly one execution_started and one execution_finished
// event per execution, the latter saying succeeded.
func checkEvents(ctx context.Context, t *testing.T, db *pgxpool.Pool, execs []execRow) {
	t.Helper()
	for _, kind := range []model.EventKind{model.EventExecutionStarted, model.EventExecutionFinished} {
		rows, err := db.Query(ctx, `SELECT execution_id, detail FROM event WHERE kind = $1`, string(kind))
		if err != nil {
			t.Fatal(err)
		}
		per := map[string][]string{}
		n := 0
		for rows.Next() {
			var id, detail string
			if err := rows.Scan(&id, &detail); err != nil {
				t.Fatal(err)
			}
			per[id] = append(per[id], detail)
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, e := range execs {
			if len(per[e.ID]) != 1 {
				t.Errorf("execution %s (%s) has %d %s events, want exactly 1: %q", e.ID, e.Pipeline, len(per[e.ID]), kind, per[e.ID])
			} else if kind == model.EventExecutionFinished && !strings.HasPrefix(per[e.ID][0], string(model.ExecutionSucceeded)) {
				t.Errorf("execution %s's execution_finished event says %q, want succeeded", e.ID, per[e.ID][0])
			}
		}
		if n != len(execs) {
			t.Errorf("%d %s events for %d executions", n, kind, len(execs))
		}
	}
}

// inFlightSlack is how long after a kill a request the killed replica had
// already sent may still be seen arriving (the test notes the kill's time
// just before it sends SIGKILL).
const inFlightSlack = 50 * time.Millisecond

// checkWebhooks asserts what internal/stage/webhook.go promises: every
// call carries Idempotency-Key <execution>/<stage>, the same on every
// attempt, and a call is repeated only after a crash between the call and
// the storing of its result. So: each webhook stage's key was called at
// least once, and every repeat of a key follows a kill that came after the
// previous call had begun.
func checkWebhooks(t *testing.T, execs []execRow, rep webhookrecv.Report, kills []*failover) {
	t.Helper()
	if rep.NoKey > 0 {
		t.Errorf("%d webhook calls carried no Idempotency-Key header", rep.NoKey)
	}
	want := map[string]bool{}
	for _, e := range execs {
		want[e.ID+"/notify"] = true
	}
	for key := range want {
		if len(rep.Calls[key]) == 0 {
			t.Errorf("webhook %s was never called", key)
		}
	}
	repeats := map[int]int{} // calls per key -> keys
	for _, key := range slices.Sorted(maps.Keys(rep.Calls)) {
		calls := rep.Calls[key]
		repeats[len(calls)]++
		if !want[key] {
			t.Errorf("webhook call with unexpected key %s", key)
		}
		for i := 1; i < len(calls); i++ {
			prev, c := calls[i-1], calls[i]
			explained := false
			for _, k := range kills {
				if !k.At.Before(prev.Start.Add(-inFlightSlack)) && k.At.Before(c.Start) {
					explained = true
				}
			}
			if !explained {
				t.Errorf("webhook %s called again at %s with no kill since the previous call at %s: a repeat without a crash",
					key, c.Start.Format("15:04:05.000"), prev.Start.Format("15:04:05.000"))
			}
		}
	}
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(repeats)) {
		parts = append(parts, fmt.Sprintf("%d keys called %d times", repeats[n], n))
	}
	t.Logf("webhooks: %d keys: %s", len(rep.Calls), strings.Join(parts, ", "))
}

// checkServerGroups: one server group per sequence per application and
// environment (the schema's UNIQUE holds that; the test reads it back), at
// most one created per release, and only the last release's group left
// up, with one Deployment per application in the namespace.
func checkServerGroups(ctx context.Context, t *testing.T, db *pgxpool.Pool, kc *k8senv.Env, ns string, execs []execRow, apps []string) {
	t.Helper()
	type group struct{ Name, App, Env, Version, Role, Status, Execution string }
	rows, err := db.Query(ctx, `SELECT name, application, environment, version, role, status, execution_id FROM server_group ORDER BY application, sequence`)
	if err != nil {
		t.Fatal(err)
	}
	var groups []group
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.Name, &g.App, &g.Env, &g.Version, &g.Role, &g.Status, &g.Execution); err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
	}
	rows.Close()
	perExec := map[string][]group{}
	live := map[string][]group{}
	for _, g := range groups {
		perExec[g.Execution] = append(perExec[g.Execution], g)
		if g.Status != "destroyed" {
			live[g.App] = append(live[g.App], g)
		}
	}
	last := map[string]execRow{} // the last release started, per application
	releases := 0
	for _, e := range execs {
		if strings.HasPrefix(e.Pipeline, "release-") {
			releases++
			last[e.Application] = e // execs are in start order
			// A canary creates one group of the new version and, when a
			// production group runs, one baseline group of that version to
			// compare with: a kill must not make it create either twice.
			own, baselines := 0, 0
			for _, g := range perExec[e.ID] {
				switch {
				case g.Role == "baseline":
					baselines++
				case g.Version == e.Version:
					own++
				}
			}
			if own != 1 || baselines > 1 || own+baselines != len(perExec[e.ID]) {
				t.Errorf("release %s (%s %s) created server groups %+v, want one of its version and at most one baseline", e.ID, e.Application, e.Version, perExec[e.ID])
			}
		}
	}
	for app, e := range last {
		l := live[app]
		if len(l) != 1 || l[0].Version != e.Version || l[0].Status != "up" || l[0].Role != "production" {
			t.Errorf("application %s: live server groups %+v, want one up production group of %s (its last release, %s)", app, l, e.Version, e.ID)
		}
	}
	deps, err := kc.Clientset.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range deps.Items {
		names = append(names, d.Name)
	}
	var want []string
	for _, app := range slices.Sorted(maps.Keys(live)) {
		for _, g := range live[app] {
			want = append(want, g.Name)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("Deployments in %s: %v, want the live server groups %v", ns, names, want)
	}
	t.Logf("server groups: %d created by %d releases over %d applications; left up: %v", len(groups), releases, len(apps), want)
}

// checkNoClaims: no stage holds a claim or a timer once every execution
// has ended.
func checkNoClaims(ctx context.Context, t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM stage WHERE claimed_by IS NOT NULL OR wake_at IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		t.Errorf("%d stages of ended executions still hold a claim or a timer", n)
	}
}

// checkViews: each replica's live view, reconnecting after kills with
// Last-Event-ID, got every change of the outbox once, in order.
func checkViews(ctx context.Context, t *testing.T, db *pgxpool.Pool, views []*follower, head int64) {
	t.Helper()
	var ids []int64
	rows, err := db.Query(ctx, `SELECT id FROM change WHERE id > $1 ORDER BY id`, head)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		t.Fatal("the change outbox is empty")
	}
	for _, f := range views {
		deadline := time.Now().Add(15 * time.Second)
		for f.last() < ids[len(ids)-1] && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		got := f.received(head)
		f.mu.Lock()
		connects, resets, disordered := f.connects, f.resets, f.disordered
		f.mu.Unlock()
		if !slices.Equal(got, ids) {
			missing, extra := diff(ids, got), diff(got, ids)
			t.Errorf("the live view of %s got %d changes, the outbox holds %d: %d missing (first %v), %d not in the outbox (first %v)",
				f.name, len(got), len(ids), len(missing), first(missing, 10), len(extra), first(extra, 10))
		}
		if len(disordered) > 0 {
			t.Errorf("the live view of %s got %d changes out of order or twice: %v", f.name, len(disordered), first(disordered, 10))
		}
		if resets > 0 {
			t.Errorf("the live view of %s was reset %d times", f.name, resets)
		}
		t.Logf("live view of %s: %d changes over %d connections", f.name, len(got), connects)
	}
}

// diff is what a holds and b does not.
func diff(a, b []int64) []int64 {
	in := map[int64]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []int64
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func first[T any](xs []T, n int) []T { return xs[:min(n, len(xs))] }
