// Package storetest is the conformance suite of store.Store: every driver
// (store/sqlite, later store/postgres) calls Run from its own tests, so all
// drivers keep one behaviour: the same errors, orderings, guarded
// transitions and transaction semantics.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gennaker/gennaker/internal/store"
)

// Run runs the conformance suite. open must return a store over a fresh,
// empty, migrated database and close it when t ends (t.Cleanup). Subtests
// run in parallel, each with its own store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	suites := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"Config", testConfig},
		{"NotFound", testNotFound},
		{"Execution", testExecution},
		{"Transition", testTransition},
		{"Tx", testTx},
		{"Event", testEvent},
		{"ServerGroup", testServerGroup},
		{"Analysis", testAnalysis},
		{"Time", testTime},
		{"Lease", testLease},
		{"AccessConfig", testAccessConfig},
		{"Token", testToken},
		{"Session", testSession},
		{"LoginLink", testLoginLink},
		{"Audit", testAudit},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			s.run(t, open)
		})
	}
}

// bundle is what every test starts from: a fresh store and a context.
type bundle struct {
	ctx   context.Context
	store store.Store
}

func setup(t *testing.T, open func(t *testing.T) store.Store) *bundle {
	t.Helper()
	return &bundle{ctx: t.Context(), store: open(t)}
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
