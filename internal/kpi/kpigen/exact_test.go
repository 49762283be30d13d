package kpigen_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/kpi/kpigen"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/test/pgenv"
)

func TestMain(m *testing.M) { os.Exit(pgenv.RunShared(m)) }

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Queries are the reports the exactness test checks.
func Queries() []kpi.Query {
	return []kpi.Query{
		{From: date("2025-01-01"), To: date("2026-01-01"), By: kpi.BucketMonth},
		{Team: "payments", From: date("2025-09-03"), To: date("2025-12-02"), By: kpi.BucketWeek},
		{Team: "platform", From: date("2025-01-01"), To: date("2026-01-01"), By: kpi.BucketMonth}, // app01 moved here
		{Application: "app00", From: date("2025-06-10"), To: date("2025-07-10"), By: kpi.BucketDay},
		{Environment: kpigen.ProdUS, From: date("2025-04-01"), To: date("2025-09-28"), By: kpi.BucketWeek},
		{From: date("2024-01-01"), To: date("2024-04-01"), By: kpi.BucketMonth}, // before anything
		{From: date("2026-03-02"), To: date("2026-03-30"), By: kpi.BucketWeek},  // after everything
	}
}

func open(t *testing.T, kind string) store.Store {
	t.Helper()
	var st store.Store
	var err error
	switch kind {
	case "sqlite":
		st, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	case "postgres":
		st, err = postgres.Open(t.Context(), pgenv.Shared(t).Database(t), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestExact plays a year of deliveries into each store, folds it with the
// projector and holds every report of Queries to what docs/kpis.md
// defines, worked out from the generator's ground truth.
func TestExact(t *testing.T) {
	h := kpigen.Generate(kpigen.DefaultConfig(1))
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			st := open(t, kind)
			if err := h.Apply(ctx, st, 500); err != nil {
				t.Fatal(err)
			}
			// SQLite folds in small batches of an odd size, so records
			// cross transactions everywhere; PostgreSQL in the default.
			batch := 0
			if kind == "sqlite" {
				batch = 37
			}
			p := kpi.NewProjector(kpi.ProjectorConfig{Store: st, Batch: batch, Logger: slog.New(slog.DiscardHandler)})
			if err := p.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			rep := kpi.NewReporter(st)
			for _, q := range Queries() {
				got, err := rep.Report(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", describe(q), err)
				}
				if d := kpigen.Diff(h.Expect(q, kpigen.Spec), got); len(d) > 0 {
					t.Errorf("%s: %d differences from docs/kpis.md (got, want):\n  %s\n%s", describe(q), len(d), strings.Join(head(d, 40), "\n  "),
						locate(ctx, t, rep, h, q))
				}
			}
		})
	}
}

// TestExactIncremental holds one reporter across the year played in
// parts, each folded and reported before the next arrives (as a running
// server does): the months it folded for earlier reports must follow the
// rollups that later events change (rollbacks, incidents attributed to
// deploys of earlier days), so the last reports equal the ground truth.
func TestExactIncremental(t *testing.T) {
	h := kpigen.Generate(kpigen.DefaultConfig(1))
	ctx := t.Context()
	st := open(t, "sqlite")
	if _, err := st.ConfigApply(ctx, h.Initial); err != nil {
		t.Fatal(err)
	}
	p := kpi.NewProjector(kpi.ProjectorConfig{Store: st, Batch: 101, Logger: slog.New(slog.DiscardHandler)})
	rep := kpi.NewReporter(st)
	const parts = 5
	for i := range parts {
		evs := h.Events[len(h.Events)*i/parts : len(h.Events)*(i+1)/parts]
		if err := kpigen.InsertEvents(ctx, st, evs, 500); err != nil {
			t.Fatal(err)
		}
		if err := p.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if i == parts-1 {
			if _, err := st.ConfigApply(ctx, h.Final); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range Queries() {
			got, err := rep.Report(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", describe(q), err)
			}
			if i < parts-1 {
				continue
			}
			if d := kpigen.Diff(h.Expect(q, kpigen.Spec), got); len(d) > 0 {
				t.Errorf("%s: %d differences from docs/kpis.md (got, want):\n  %s\n%s", describe(q), len(d), strings.Join(head(d, 40), "\n  "),
					locate(ctx, t, rep, h, q))
			}
		}
	}
}

func describe(q kpi.Query) string {
	return fmt.Sprintf("report team=%q app=%q env=%q %s..%s by %s", q.Team, q.Application, q.Environment,
		q.From.Format(time.DateOnly), q.To.Format(time.DateOnly), q.By)
}

func head(d []string, n int) []string {
	if len(d) > n {
		return append(d[:n:n], fmt.Sprintf("... and %d more", len(d)-n))
	}
	return d
}

// locate narrows a report's mismatch to applications, environments and
// days (reports by day of one application in one environment), and lists
// the ground truth of the deploys that landed on the first few such days,
// so that a reader can tell which side is wrong.
func locate(ctx context.Context, t *testing.T, rep *kpi.Reporter, h *kpigen.History, q kpi.Query) string {
	var b strings.Builder
	facts := h.Facts()
	found := 0
	for _, app := range h.Final.Applications {
		if (q.Team != "" && app.Team != q.Team) || (q.Application != "" && app.Name != q.Application) {
			continue
		}
		for _, env := range []string{kpigen.ProdEU, kpigen.ProdUS} {
			if q.Environment != "" && env != q.Environment {
				continue
			}
			for from := q.From; from.Before(q.To) && found < 6; from = from.AddDate(0, 0, 90) {
				to := from.AddDate(0, 0, 90)
				if to.After(q.To) {
					to = q.To
				}
				dq := kpi.Query{Application: app.Name, Environment: env, From: from, To: to, By: kpi.BucketDay}
				got, err := rep.Report(ctx, dq)
				if err != nil {
					t.Fatal(err)
				}
				want := h.Expect(dq, kpigen.Spec)
				for i := range min(len(want.Points), len(got.Points)) {
					w, g := &kpi.Report{Summary: want.Points[i].Summary}, &kpi.Report{Summary: got.Points[i].Summary}
					d := kpigen.Diff(w, g)
					if len(d) == 0 {
						continue
					}
					if found++; found > 6 {
						break
					}
					day := want.Points[i].Start
					fmt.Fprintf(&b, "%s in %s on %s: %s\n%s", app.Name, env, day.Format(time.DateOnly), strings.Join(head(d, 8), "; "),
						h.Explain(facts, app.Name, env, day, day.AddDate(0, 0, 1), 10))
				}
			}
		}
	}
	if found == 0 {
		return "(no application, environment and day differs by itself: the difference is in how days add up, or in adoption)"
	}
	return "the first days that differ, with the truth about their deploys:\n" + b.String()
}

// TestExactWithout is TestExact on SQLite with cases left out, named by
// GENNAKER_KPIGEN_WITHOUT (e.g. "retry,cancel"), to tell mismatches apart.
func TestExactWithout(t *testing.T) {
	without := os.Getenv("GENNAKER_KPIGEN_WITHOUT")
	if without == "" {
		t.Skip("set GENNAKER_KPIGEN_WITHOUT=retry,cancel,late to run it")
	}
	h := kpigen.Generate(config(1))
	ctx := t.Context()
	st := open(t, "sqlite")
	if err := h.Apply(ctx, st, 500); err != nil {
		t.Fatal(err)
	}
	if err := kpi.NewProjector(kpi.ProjectorConfig{Store: st, Logger: slog.New(slog.DiscardHandler)}).CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	rep := kpi.NewReporter(st)
	for _, q := range Queries() {
		got, err := rep.Report(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if d := kpigen.Diff(h.Expect(q, kpigen.Spec), got); len(d) > 0 {
			t.Errorf("%s: %d differences (got, want):\n  %s\n%s", describe(q), len(d), strings.Join(head(d, 40), "\n  "), locate(ctx, t, rep, h, q))
		}
	}
}

// TestExactProductionLater marks prod-us production only half way through
// the year: what it saw before counts nowhere, what it sees after counts.
func TestExactProductionLater(t *testing.T) {
	h := kpigen.Generate(config(2))
	flip := date("2025-07-01")
	before := h.Initial
	before.Environments = nil
	for _, e := range h.Initial.Environments {
		if e.Name == kpigen.ProdUS {
			e.Production = false
		}
		before.Environments = append(before.Environments, e)
	}
	split := 0
	for split < len(h.Events) && h.Recorded[split].Before(flip) {
		split++
	}
	want := h.ProductionFrom(kpigen.ProdUS, flip)
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			st := open(t, kind)
			p := kpi.NewProjector(kpi.ProjectorConfig{Store: st, Logger: slog.New(slog.DiscardHandler)})
			steps := []func() error{
				func() error { _, err := st.ConfigApply(ctx, before); return err },
				func() error { return kpigen.InsertEvents(ctx, st, h.Events[:split], 500) },
				func() error { return p.CatchUp(ctx) },
				func() error { _, err := st.ConfigApply(ctx, h.Initial); return err },
				func() error { return kpigen.InsertEvents(ctx, st, h.Events[split:], 500) },
				func() error { return p.CatchUp(ctx) },
				func() error { _, err := st.ConfigApply(ctx, h.Final); return err },
			}
			for _, step := range steps {
				if err := step(); err != nil {
					t.Fatal(err)
				}
			}
			rep := kpi.NewReporter(st)
			for _, q := range []kpi.Query{
				{From: date("2025-01-01"), To: date("2026-01-01"), By: kpi.BucketMonth},
				{Environment: kpigen.ProdUS, From: date("2025-05-01"), To: date("2025-08-01"), By: kpi.BucketWeek},
			} {
				got, err := rep.Report(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if d := kpigen.Diff(want.Expect(q, kpigen.Spec), got); len(d) > 0 {
					t.Errorf("%s: %d differences from docs/kpis.md (got, want):\n  %s\n%s", describe(q), len(d), strings.Join(head(d, 40), "\n  "),
						locate(ctx, t, rep, want, q))
				}
			}
		})
	}
}

// config is the default config of seed, with the cases
// GENNAKER_KPIGEN_WITHOUT names (comma-separated) left out.
func config(seed uint64) kpigen.Config {
	cfg := kpigen.DefaultConfig(seed)
	cfg.Without = map[string]bool{}
	for _, w := range strings.Split(os.Getenv("GENNAKER_KPIGEN_WITHOUT"), ",") {
		cfg.Without[w] = true
	}
	return cfg
}
