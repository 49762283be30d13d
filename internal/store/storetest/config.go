package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testConfig(t *testing.T, d Driver) {
	cfg := model.Config{
		Applications: []model.Application{testApp("checkout"), testApp("billing")},
		Environments: []model.Environment{testEnv("staging")},
		Pipelines:    []model.Pipeline{testPipeline("ship-checkout", "checkout"), testPipeline("ship-billing", "billing")},
	}

	// The revision moves on with every apply and delete, in its
	// transaction: a failed one leaves it; reads leave it.
	t.Run("Revision", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		rev := func() int64 {
			t.Helper()
			n, err := b.store.ConfigRevision(b.ctx)
			must(t, err)
			return n
		}
		if n := rev(); n != 0 {
			t.Fatalf("revision before any apply = %d, want 0", n)
		}
		_, err := b.store.ConfigApply(b.ctx, cfg)
		must(t, err)
		first := rev()
		if first == 0 {
			t.Fatal("an apply left the revision at 0")
		}
		_, err = b.store.PipelineList(b.ctx, store.PipelineListParams{})
		must(t, err)
		if n := rev(); n != first {
			t.Fatalf("a read moved the revision from %d to %d", first, n)
		}
		if _, err := b.store.ConfigApply(b.ctx, model.Config{Applications: []model.Application{{}}}); err == nil {
			t.Fatal("an application without a name was applied")
		}
		if n := rev(); n != first {
			t.Fatalf("a failed apply moved the revision from %d to %d", first, n)
		}
		_, err = b.store.ConfigApply(b.ctx, cfg)
		must(t, err)
		second := rev()
		if second <= first {
			t.Fatalf("a second apply left the revision at %d (was %d)", second, first)
		}
		_, err = b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindPipeline, Name: "ship-billing"})
		must(t, err)
		if n := rev(); n <= second {
			t.Fatalf("a delete left the revision at %d (was %d)", n, second)
		}
	})

	t.Run("CreatedUpdatedUnchanged", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)

		res, err := b.store.ConfigApply(b.ctx, cfg)
		must(t, err)
		wantNames(t, "created", res.Created, "Application/checkout", "Application/billing",
			"Environment/staging", "Pipeline/ship-checkout", "Pipeline/ship-billing")
		wantNames(t, "updated", res.Updated)
		wantNames(t, "unchanged", res.Unchanged)

		res, err = b.store.ConfigApply(b.ctx, cfg)
		must(t, err)
		wantNames(t, "created", res.Created)
		wantNames(t, "updated", res.Updated)
		wantNames(t, "unchanged", res.Unchanged, "Application/checkout", "Application/billing",
			"Environment/staging", "Pipeline/ship-checkout", "Pipeline/ship-billing")

		changed := testApp("checkout")
		changed.Instances = 5
		res, err = b.store.ConfigApply(b.ctx, model.Config{
			Applications: []model.Application{changed},
			Environments: []model.Environment{testEnv("prod")},
		})
		must(t, err)
		wantNames(t, "created", res.Created, "Environment/prod")
		wantNames(t, "updated", res.Updated, "Application/checkout")
		wantNames(t, "unchanged", res.Unchanged)

		got, err := b.store.ApplicationGet(b.ctx, "checkout")
		must(t, err)
		if !reflect.DeepEqual(*got, changed) {
			t.Fatalf("ApplicationGet after update:\n got %+v\nwant %+v", *got, changed)
		}
	})

	t.Run("GetAndList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, err := b.store.ConfigApply(b.ctx, cfg)
		must(t, err)

		env, err := b.store.EnvironmentGet(b.ctx, "staging")
		must(t, err)
		if !reflect.DeepEqual(*env, testEnv("staging")) {
			t.Fatalf("EnvironmentGet: got %+v, want %+v", *env, testEnv("staging"))
		}
		p, err := b.store.PipelineGet(b.ctx, "ship-checkout")
		must(t, err)
		if !reflect.DeepEqual(*p, testPipeline("ship-checkout", "checkout")) {
			t.Fatalf("PipelineGet: got %+v", *p)
		}

		apps, err := b.store.ApplicationList(b.ctx, store.ApplicationListParams{})
		must(t, err)
		if got := appNames(apps); !slices.Equal(got, []string{"billing", "checkout"}) {
			t.Fatalf("ApplicationList names = %v, want sorted [billing checkout]", got)
		}
		envs, err := b.store.EnvironmentList(b.ctx)
		must(t, err)
		if len(envs) != 1 || envs[0].Name != "staging" {
			t.Fatalf("EnvironmentList = %+v, want [staging]", envs)
		}
		all, err := b.store.PipelineList(b.ctx, store.PipelineListParams{})
		must(t, err)
		if len(all) != 2 || all[0].Name != "ship-billing" || all[1].Name != "ship-checkout" {
			t.Fatalf("PipelineList = %+v, want [ship-billing ship-checkout]", all)
		}
		one, err := b.store.PipelineList(b.ctx, store.PipelineListParams{Application: "checkout"})
		must(t, err)
		if len(one) != 1 || one[0].Name != "ship-checkout" {
			t.Fatalf("PipelineList(checkout) = %+v, want [ship-checkout]", one)
		}
	})

	t.Run("ApplicationPages", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		var c model.Config
		for _, n := range []string{"e", "a", "d", "b", "c"} {
			c.Applications = append(c.Applications, testApp(n))
		}
		_, err := b.store.ConfigApply(b.ctx, c)
		must(t, err)
		// Pages of 2 from the start, each after the last name of the one
		// before, until a short page: every application once, in order.
		var pages [][]string
		after := ""
		for {
			apps, err := b.store.ApplicationList(b.ctx, store.ApplicationListParams{After: after, Limit: 2})
			must(t, err)
			pages = append(pages, appNames(apps))
			if len(apps) < 2 {
				break
			}
			after = apps[len(apps)-1].Name
		}
		if want := [][]string{{"a", "b"}, {"c", "d"}, {"e"}}; !reflect.DeepEqual(pages, want) {
			t.Fatalf("ApplicationList pages of 2 = %v, want %v", pages, want)
		}
		// The readable filter applies before the limit, so pages stay full.
		apps, err := b.store.ApplicationList(b.ctx, store.ApplicationListParams{Applications: []string{"b", "d", "e"}, After: "b", Limit: 1})
		must(t, err)
		if got := appNames(apps); !slices.Equal(got, []string{"d"}) {
			t.Fatalf("ApplicationList(readable b d e, after b, limit 1) = %v, want [d]", got)
		}
	})

	t.Run("PipelinePages", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		c := model.Config{Applications: []model.Application{testApp("checkout"), testApp("billing")}}
		for _, p := range []struct{ name, app string }{{"p1", "checkout"}, {"p2", "billing"}, {"p3", "checkout"}, {"p4", "checkout"}} {
			c.Pipelines = append(c.Pipelines, testPipeline(p.name, p.app))
		}
		_, err := b.store.ConfigApply(b.ctx, c)
		must(t, err)
		names := func(ps []model.Pipeline) []string {
			out := []string{}
			for _, p := range ps {
				out = append(out, p.Name)
			}
			return out
		}
		for _, tc := range []struct {
			params store.PipelineListParams
			want   []string
		}{
			{store.PipelineListParams{Limit: 2}, []string{"p1", "p2"}},
			{store.PipelineListParams{After: "p2", Limit: 2}, []string{"p3", "p4"}},
			{store.PipelineListParams{After: "p4", Limit: 2}, []string{}},
			{store.PipelineListParams{Application: "checkout", After: "p1", Limit: 1}, []string{"p3"}},
			{store.PipelineListParams{Applications: []string{"billing"}}, []string{"p2"}},
			{store.PipelineListParams{Applications: []string{"checkout"}, After: "p3"}, []string{"p4"}},
		} {
			ps, err := b.store.PipelineList(b.ctx, tc.params)
			must(t, err)
			if got := names(ps); !slices.Equal(got, tc.want) {
				t.Errorf("PipelineList(%+v) = %v, want %v", tc.params, got, tc.want)
			}
		}
	})

	t.Run("EmptyLists", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		apps, err := b.store.ApplicationList(b.ctx, store.ApplicationListParams{})
		must(t, err)
		envs, err := b.store.EnvironmentList(b.ctx)
		must(t, err)
		ps, err := b.store.PipelineList(b.ctx, store.PipelineListParams{})
		must(t, err)
		if len(apps)+len(envs)+len(ps) != 0 {
			t.Fatalf("fresh store lists config: %v %v %v", apps, envs, ps)
		}
	})

	t.Run("AnalysisTemplates", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		golden := model.AnalysisTemplate{Name: "golden", Spec: model.AnalysisSpec{
			Interval: model.Duration(time.Minute), Lifetime: model.Duration(5 * time.Minute), Warmup: model.Duration(30 * time.Second),
			Metrics:    []model.AnalysisMetric{{Name: "error-rate", Query: "error_rate", Direction: model.DirectionIncrease, Critical: true}},
			Thresholds: model.ScoreThresholds{Pass: 90, Marginal: 60},
		}}
		res, err := b.store.ConfigApply(b.ctx, model.Config{AnalysisTemplates: []model.AnalysisTemplate{golden, {Name: "a-lax"}}})
		must(t, err)
		wantNames(t, "created", res.Created, "AnalysisTemplate/golden", "AnalysisTemplate/a-lax")
		got, err := b.store.AnalysisTemplateGet(b.ctx, "golden")
		must(t, err)
		if !reflect.DeepEqual(*got, golden) {
			t.Fatalf("AnalysisTemplateGet:\n got %+v\nwant %+v", *got, golden)
		}
		golden.Spec.Thresholds.Pass = 95
		res, err = b.store.ConfigApply(b.ctx, model.Config{AnalysisTemplates: []model.AnalysisTemplate{golden}})
		must(t, err)
		wantNames(t, "updated", res.Updated, "AnalysisTemplate/golden")
		list, err := b.store.AnalysisTemplateList(b.ctx)
		must(t, err)
		if len(list) != 2 || list[0].Name != "a-lax" || list[1].Spec.Thresholds.Pass != 95 {
			t.Fatalf("AnalysisTemplateList = %+v, want [a-lax golden(pass 95)]", list)
		}
		if _, err := b.store.AnalysisTemplateGet(b.ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("AnalysisTemplateGet(missing) = %v, want ErrNotFound", err)
		}
	})
}

func wantNames(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Fatalf("ConfigApply %s = %v, want %v", what, got, want)
	}
}

func appNames(apps []model.Application) []string {
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
	}
	return names
}
