package slo

import (
	"reflect"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestGate(t *testing.T) {
	t.Parallel()
	// 2026-12-09 is a Wednesday.
	now := time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC)
	avail := model.SLO{Name: "checkout-availability", Application: "checkout", Window: model.SLOWindow{Count: 28, Unit: "d", Rolling: true}}
	latency := model.SLO{Name: "checkout-latency", Application: "checkout", Window: model.SLOWindow{Count: 1, Unit: "M"}}
	status := func(budgets []float64, burn1h float64) *model.SLOStatus {
		st := &model.SLOStatus{EvaluatedAt: now.Add(-20 * time.Second)}
		for _, b := range budgets {
			st.Objectives = append(st.Objectives, model.ObjectiveStatus{Target: 0.999, BudgetRemaining: b})
		}
		st.BurnRates = []model.BurnRate{
			{Window: model.Duration(5 * time.Minute), Rate: burn1h * 2},
			{Window: model.Duration(time.Hour), Rate: burn1h},
			{Window: model.Duration(6 * time.Hour), Rate: burn1h / 2},
		}
		return st
	}
	policy := model.SLOPolicy{MinBudget: 0.1, MaxBurnRate: 6}
	weekend := model.FreezeWindow{Name: "weekend", From: "Fri 16:00", To: "Mon 08:00", TimeZone: "Europe/Berlin"}
	wednesday := model.FreezeWindow{Name: "release-train", From: "Wed 11:00", To: "Wed 13:00"}
	tests := []struct {
		name     string
		in       GateInput
		want     Decision
		wantHold bool
	}{
		{
			name: "healthy SLOs pass",
			in:   GateInput{Policy: policy, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.8}, 1)}},
			want: Decision{},
		},
		{
			name:     "budget below minBudget holds, with the burn for context",
			in:       GateInput{Policy: policy, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.03}, 2)}},
			wantHold: true,
			want:     Decision{Hold: true, Reasons: []string{"checkout-availability budget 3% left of 28d; burn 2× over 1h"}},
		},
		{
			name:     "the issue's example: 3% left and burning 8x",
			in:       GateInput{Policy: policy, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.03}, 8)}},
			wantHold: true,
			want:     Decision{Hold: true, Reasons: []string{"checkout-availability budget 3% left of 28d; burn 8× over 1h"}},
		},
		{
			name:     "burning fast holds with budget to spare",
			in:       GateInput{Policy: policy, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.9}, 14.44)}},
			wantHold: true,
			want:     Decision{Hold: true, Reasons: []string{"checkout-availability budget 90% left of 28d; burn 14.4× over 1h"}},
		},
		{
			name: "burn at exactly maxBurnRate passes",
			in:   GateInput{Policy: policy, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.9}, 6)}},
			want: Decision{},
		},
		{
			name:     "burn window 6h reads the 6h rate",
			in:       GateInput{Policy: model.SLOPolicy{MaxBurnRate: 3, BurnWindow: model.Duration(6 * time.Hour)}, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.9}, 8)}},
			wantHold: true,
			want:     Decision{Hold: true, Reasons: []string{"checkout-availability budget 90% left of 28d; burn 4× over 6h"}},
		},
		{
			name:     "any objective short of budget holds",
			in:       GateInput{Policy: policy, SLOs: []model.SLO{latency}, Statuses: map[string]*model.SLOStatus{latency.Name: status([]float64{0.7, 0.05}, 1)}},
			wantHold: true,
			want:     Decision{Hold: true, Reasons: []string{"checkout-latency budget 5% left of 1M; burn 1× over 1h"}},
		},
		{
			name: "overspent and burning: both SLOs named",
			in: GateInput{Policy: policy, SLOs: []model.SLO{avail, latency}, Statuses: map[string]*model.SLOStatus{
				avail.Name: status([]float64{-0.25}, 7), latency.Name: status([]float64{0.08}, 0)}},
			wantHold: true,
			want: Decision{Hold: true, Reasons: []string{
				"checkout-availability budget -25% left of 28d; burn 7× over 1h",
				"checkout-latency budget 8% left of 1M; burn 0× over 1h"}},
		},
		{
			name: "thresholds unset: nothing holds",
			in:   GateInput{SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{-1}, 100)}},
			want: Decision{},
		},
		{
			name: "never evaluated, unknown allow (default): passes with a note",
			in:   GateInput{Policy: policy, SLOs: []model.SLO{avail}},
			want: Decision{Notes: []string{"checkout-availability has not been evaluated yet (sloPolicy.unknown: allow)"}},
		},
		{
			name:     "stale status, unknown hold: holds",
			in:       GateInput{Policy: model.SLOPolicy{MinBudget: 0.1, Unknown: UnknownHold}, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: {EvaluatedAt: now.Add(-5 * time.Minute), Objectives: []model.ObjectiveStatus{{BudgetRemaining: 0.9}}}}},
			wantHold: true,
			want:     Decision{Hold: true, Reasons: []string{"checkout-availability was last evaluated 5m ago (sloPolicy.unknown: hold)"}},
		},
		{
			name: "status just inside max age is trusted",
			in:   GateInput{Policy: model.SLOPolicy{MinBudget: 0.1, Unknown: UnknownHold}, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: {EvaluatedAt: now.Add(-90 * time.Second), Objectives: []model.ObjectiveStatus{{BudgetRemaining: 0.9}}}}},
			want: Decision{},
		},
		{
			name:     "failed evaluation, unknown hold: holds with the error",
			in:       GateInput{Policy: model.SLOPolicy{Unknown: UnknownHold}, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: {EvaluatedAt: now, Error: "prometheus: connection refused"}}},
			wantHold: true,
			want:     Decision{Hold: true, Reasons: []string{"checkout-availability could not be evaluated: prometheus: connection refused (sloPolicy.unknown: hold)"}},
		},
		{
			name:     "freeze window holds everything",
			in:       GateInput{Policy: model.SLOPolicy{Freeze: []model.FreezeWindow{weekend, wednesday}}, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{1}, 0)}},
			wantHold: true,
			want: Decision{Hold: true, Freeze: "release-train", FreezeUntil: time.Date(2026, 12, 9, 13, 0, 0, 0, time.UTC),
				Reasons: []string{`freeze window "release-train" (Wed 11:00 to Wed 13:00 UTC) until Wed 13:00 UTC`}},
		},
		{
			name: "rollback passes a freeze and an empty budget, saying what would have held it",
			in:   GateInput{Rollback: true, Policy: model.SLOPolicy{MinBudget: 0.1, Freeze: []model.FreezeWindow{wednesday}, Narrow: &model.CanaryNarrowing{BelowBudget: 0.5}}, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0}, 20)}},
			want: Decision{Exempt: ExemptRollback, Freeze: "release-train", FreezeUntil: time.Date(2026, 12, 9, 13, 0, 0, 0, time.UTC), Reasons: []string{
				`freeze window "release-train" (Wed 11:00 to Wed 13:00 UTC) until Wed 13:00 UTC`,
				"checkout-availability budget 0% left of 28d; burn 20× over 1h"}},
		},
		{
			name: "fix passes",
			in:   GateInput{Fix: true, Policy: policy, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.01}, 1)}},
			want: Decision{Exempt: ExemptFix, Reasons: []string{"checkout-availability budget 1% left of 28d; burn 1× over 1h"}},
		},
		{
			name: "low budget narrows without holding, defaults filled",
			in:   GateInput{Policy: model.SLOPolicy{MinBudget: 0.1, Narrow: &model.CanaryNarrowing{BelowBudget: 0.25}}, SLOs: []model.SLO{avail, latency}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.2}, 1), latency.Name: status([]float64{0.125}, 1)}},
			want: Decision{Narrow: &Narrowing{MaxFirstWeight: DefaultMaxFirstWeight, AnalysisFactor: DefaultAnalysisFactor, Reason: "checkout-latency budget 12.5% left (below 25%)"}},
		},
		{
			name: "narrowing with its own cap and factor",
			in:   GateInput{Policy: model.SLOPolicy{Narrow: &model.CanaryNarrowing{BelowBudget: 0.5, MaxFirstWeight: 2, AnalysisFactor: 3}}, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.4}, 1)}},
			want: Decision{Narrow: &Narrowing{MaxFirstWeight: 2, AnalysisFactor: 3, Reason: "checkout-availability budget 40% left (below 50%)"}},
		},
		{
			name: "budget above belowBudget: no narrowing",
			in:   GateInput{Policy: model.SLOPolicy{Narrow: &model.CanaryNarrowing{BelowBudget: 0.5}}, SLOs: []model.SLO{avail}, Statuses: map[string]*model.SLOStatus{avail.Name: status([]float64{0.5}, 1)}},
			want: Decision{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now = now
			got := Gate(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Gate() =\n  %+v\nwant\n  %+v", got, tt.want)
			}
			if got.Hold != tt.wantHold {
				t.Errorf("Hold = %v, want %v", got.Hold, tt.wantHold)
			}
		})
	}
}

func TestGateSLOs(t *testing.T) {
	t.Parallel()
	all := []model.SLO{
		{Name: "a-any", Application: "a"},
		{Name: "a-prod", Application: "a", Environment: "prod"},
		{Name: "a-staging", Application: "a", Environment: "staging"},
		{Name: "b-any", Application: "b"},
	}
	names := func(s []model.SLO) []string {
		var out []string
		for _, x := range s {
			out = append(out, x.Name)
		}
		return out
	}
	if got := names(GateSLOs(all, "a", "prod", nil)); !reflect.DeepEqual(got, []string{"a-any", "a-prod"}) {
		t.Errorf("GateSLOs(a, prod) = %v", got)
	}
	// Named: the application's own, in the order named; another
	// application's or a deleted one is kept without its definition, so it
	// has no status and counts as unknown.
	got := GateSLOs(all, "a", "prod", []string{"b-any", "a-staging", "gone"})
	if !reflect.DeepEqual(names(got), []string{"b-any", "a-staging", "gone"}) || got[0].Application != "a" || got[1].Environment != "staging" {
		t.Errorf("GateSLOs(named) = %+v", got)
	}
	d := Gate(GateInput{Application: "a", Environment: "prod", SLOs: got[:1], Policy: model.SLOPolicy{Unknown: UnknownHold}, Now: time.Now()})
	if !d.Hold {
		t.Errorf("a named SLO of another application passed a gate holding on unknown: %+v", d)
	}
	if got := GateSLOs(all, "c", "prod", nil); len(got) != 0 {
		t.Errorf("GateSLOs(c) = %v, want none", got)
	}
}

func TestMergePolicy(t *testing.T) {
	t.Parallel()
	env := &model.SLOPolicy{MinBudget: 0.1, MaxBurnRate: 6, Unknown: UnknownHold}
	got := MergePolicy(env, &model.SLOGateStage{MinBudget: 0.3})
	want := model.SLOPolicy{MinBudget: 0.3, MaxBurnRate: 6, Unknown: UnknownHold}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergePolicy = %+v, want %+v", got, want)
	}
	if got := MergePolicy(nil, &model.SLOGateStage{MaxBurnRate: 2}); got.MaxBurnRate != 2 || got.MinBudget != 0 {
		t.Errorf("MergePolicy(nil) = %+v", got)
	}
}
