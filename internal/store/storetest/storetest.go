// Package storetest is the conformance suite of store.Store: every driver
// (store/sqlite, later store/postgres) calls Run from its own tests, so all
// drivers keep one behaviour: the same errors, orderings, guarded
// transitions, transaction semantics, and jobs enqueued in a transaction.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Driver{Open: openFresh, Exec: execRaw})
//	}
package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/store"
)

// Driver is the store implementation under test.
type Driver struct {
	// Open returns a store over a fresh, empty, migrated database and
	// closes it when t ends (t.Cleanup).
	Open func(t *testing.T) store.Store
	// Exec runs one SQL statement on the database of st, a store Open
	// returned, past its interface: the suite checks that the database
	// itself refuses what the interface leaves out (changing an
	// append-only log).
	Exec func(ctx context.Context, st store.Store, stmt string) error
}

// Run runs the conformance suite. Subtests run in parallel, each with its
// own store.
func Run(t *testing.T, d Driver) {
	t.Helper()
	suites := []struct {
		name string
		run  func(t *testing.T, d Driver)
	}{
		{"Config", testConfig},
		{"NotFound", testNotFound},
		{"Execution", testExecution},
		{"Transition", testTransition},
		{"Tx", testTx},
		{"ExecutionLock", testExecutionLock},
		{"Queue", testQueue},
		{"Event", testEvent},
		{"ServerGroup", testServerGroup},
		{"Batch", testBatch},
		{"Analysis", testAnalysis},
		{"Time", testTime},
		{"Lease", testLease},
		{"Claim", testClaim},
		{"CommitOrder", testCommitOrder},
		{"Traffic", testTraffic},
		{"LeaseRace", testLeaseRace},
		{"AccessConfig", testAccessConfig},
		{"Token", testToken},
		{"Session", testSession},
		{"LoginLink", testLoginLink},
		{"Audit", testAudit},
		{"Delete", testDelete},
		{"Notification", testNotification},
		{"NotificationDelete", testNotificationDelete},
		{"TriggerClaim", testTriggerClaim},
		{"TriggerClaimRace", testTriggerClaimRace},
		{"TriggerState", testTriggerState},
		{"TriggerDelete", testTriggerDelete},
		{"KPIStore", testKPIStore},
		{"KPIFoldRace", testKPIFoldRace},
		{"Incident", testIncident},
		{"IncidentList", testIncidentList},
		{"IncidentRace", testIncidentRace},
		{"SLOStatus", testSLOStatus},
		{"TrafficMinute", testTrafficMinute},
		{"SLOLease", testSLOLease},
		{"SLOConfig", testSLOConfig},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			s.run(t, d)
		})
	}
}

// bundle is what every test starts from: a fresh store and a context.
type bundle struct {
	ctx   context.Context
	store store.Store
	// exec runs a raw statement on the store's database (Driver.Exec).
	exec func(stmt string) error
}

func setup(t *testing.T, d Driver) *bundle {
	t.Helper()
	b := &bundle{ctx: t.Context(), store: d.Open(t)}
	b.exec = func(stmt string) error { return d.Exec(b.ctx, b.store, stmt) }
	return b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErrIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want one that is %q", err, target)
	}
}

// wantAppendOnly checks that a log (events, the audit log) can only grow:
// Store and Tx offer no method named prefix+... beyond the allowed ones,
// and the database itself refuses update (an UPDATE of table) and any
// DELETE FROM table.
func wantAppendOnly(t *testing.T, b *bundle, prefix, table, update string, allowed ...string) {
	t.Helper()
	for _, iface := range []reflect.Type{reflect.TypeFor[store.Store](), reflect.TypeFor[store.Tx]()} {
		for i := range iface.NumMethod() {
			m := iface.Method(i)
			if strings.HasPrefix(m.Name, prefix) && !slices.Contains(allowed, m.Name) {
				t.Errorf("%s has method %s: %s is append-only", iface, m.Name, table)
			}
		}
	}
	for _, stmt := range []string{update, "DELETE FROM " + table} {
		if err := b.exec(stmt); err == nil {
			t.Errorf("%s succeeded; the database must refuse it (a trigger or rule)", stmt)
		}
	}
}
