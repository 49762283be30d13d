package strategy

import (
	"errors"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// Each case is a cluster, a strategy, and the plan as one line per step.
var deployCases = []struct {
	name     string
	cluster  Cluster
	strategy model.Strategy
	want     string
}{
	{
		name:     "highlander first deploy",
		cluster:  cluster(),
		strategy: model.Strategy{Type: model.StrategyHighlander},
		want: `
create new v9 production x3
wait-healthy new
set-traffic new=100
mark-good new
`,
	},
	{
		name:     "highlander destroys every other group, disabled ones too",
		cluster:  cluster(disabled(1), serving(2, 3)),
		strategy: model.Strategy{Type: model.StrategyHighlander},
		want: `
create new v9 production x3
wait-healthy new
set-traffic new=100
mark-good new
destroy app-v001
destroy app-v002
`,
	},
	{
		name:     "red-black keeps the newest disabled group by default",
		cluster:  cluster(disabled(1), serving(2, 3)),
		strategy: model.Strategy{Type: model.StrategyRedBlack},
		want: `
create new v9 production x3
wait-healthy new
set-traffic new=100
disable app-v002
mark-good new
destroy app-v001
`,
	},
	{
		name:     "red-black destroys a rolled-back group before a good one",
		cluster:  cluster(disabled(1), rolledBack(disabled(2)), serving(3, 3)),
		strategy: model.Strategy{Type: model.StrategyRedBlack, MaxRemaining: 2},
		want: `
create new v9 production x3
wait-healthy new
set-traffic new=100
disable app-v003
mark-good new
destroy app-v002
`,
	},
	{
		name:     "rolling first deploy starts everything at once",
		cluster:  cluster(disabled(1)),
		strategy: model.Strategy{Type: model.StrategyRolling, BatchSize: 2},
		want: `
create new v9 production x3
wait-healthy new
set-traffic new=100
mark-good new
`,
	},
	{
		name:     "rolling in batches of 2",
		cluster:  cluster(serving(2, 3)),
		strategy: model.Strategy{Type: model.StrategyRolling, BatchSize: 2},
		want: `
create new v9 production x2
wait-healthy new
set-traffic new=67 app-v002=33
resize app-v002 x1
resize new x3
wait-healthy new
set-traffic new=100
resize app-v002 x0
mark-good new
destroy app-v002
`,
	},
	{
		name:     "rolling one by one",
		cluster:  cluster(serving(2, 3)),
		strategy: model.Strategy{Type: model.StrategyRolling},
		want: `
create new v9 production x1
wait-healthy new
set-traffic new=33 app-v002=67
resize app-v002 x2
resize new x2
wait-healthy new
set-traffic new=67 app-v002=33
resize app-v002 x1
resize new x3
wait-healthy new
set-traffic new=100
resize app-v002 x0
mark-good new
destroy app-v002
`,
	},
	{
		name:    "canary first deploy goes straight to 100%",
		cluster: cluster(),
		strategy: model.Strategy{Type: model.StrategyCanary,
			Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(10), analyse(1)}}},
		want: `
create new v9 production x3
wait-healthy new
set-traffic new=100
mark-good new
`,
	},
	{
		name:    "canary with baseline, pauses and analysis",
		cluster: cluster(disabled(1), serving(2, 3)),
		strategy: model.Strategy{Type: model.StrategyCanary, MaxRemaining: 1,
			Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(10), pause(0), analyse(2), setWeight(50), pause(60e9)}}},
		want: `
create baseline v2 baseline x3
create new v9 canary x3
wait-healthy baseline
wait-healthy new
set-traffic new=10 baseline=10 app-v002=80 header->new
pause until approved
analysis new vs baseline intervals=2 interval=30s
set-traffic new=50 baseline=50 header->new
pause 1m0s
set-traffic new=100
mark-good new
destroy baseline
disable app-v002
destroy app-v001
`,
	},
	{
		name:    "canary caps the baseline when 2w > 100 and destroys the old group with maxRemaining 0",
		cluster: cluster(serving(2, 3)),
		strategy: model.Strategy{Type: model.StrategyCanary,
			Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(70)}}},
		want: `
create baseline v2 baseline x3
create new v9 canary x3
wait-healthy baseline
wait-healthy new
set-traffic new=70 baseline=30 header->new
set-traffic new=100
mark-good new
destroy baseline
destroy app-v002
`,
	},
	{
		name:    "canary without baseline splits the rest across serving groups",
		cluster: cluster(weight(serving(1, 2), 50), weight(serving(2, 2), 50)),
		strategy: model.Strategy{Type: model.StrategyCanary, MaxRemaining: 2,
			Canary: &model.CanarySpec{Baseline: ptr(false), Steps: []model.CanaryStep{setWeight(25), analyse(1)}}},
		want: `
create new v9 canary x3
wait-healthy new
set-traffic new=25 app-v001=38 app-v002=37 header->new
analysis new vs app-v002 intervals=1 interval=30s
set-traffic new=100
mark-good new
disable app-v002
disable app-v001
`,
	},
}

func TestPlanDeploy(t *testing.T) {
	t.Parallel()
	for _, tc := range deployCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := PlanDeploy(tc.cluster, Request{Version: "v9", Instances: 3, Strategy: tc.strategy})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.String(), strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("plan:\n%s\nwant:\n%s\nexplained:\n%s", got, want, p.Explain())
			}
			for i, s := range p.Steps {
				if s.Why == "" {
					t.Errorf("step %d (%s) has no Why", i+1, s)
				}
			}
			if err := newSim(tc.cluster).run(p, nil); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestPlanDeployWhySaysWhatHappened(t *testing.T) {
	t.Parallel()
	p, err := PlanDeploy(cluster(), Request{Version: "v1", Instances: 2, Strategy: model.Strategy{Type: model.StrategyCanary,
		Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(10)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if why := p.Steps[0].Why; !strings.Contains(why, "nothing is serving") {
		t.Errorf("first canary deploy should say why it skips the canary, got %q", why)
	}
	p, err = PlanDeploy(cluster(serving(1, 2)), Request{Version: "v2", Instances: 2, Strategy: model.Strategy{Type: model.StrategyCanary,
		Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(80)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if why := p.Steps[4].Why; !strings.Contains(why, "capped at 20%") {
		t.Errorf("a capped baseline should say so, got %q", why)
	}
}

func TestPlanDeployRejects(t *testing.T) {
	t.Parallel()
	canary := func(steps ...model.CanaryStep) model.Strategy {
		return model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{Steps: steps}}
	}
	for _, tc := range []struct {
		name string
		req  Request
		want string
	}{
		{"no version", Request{Instances: 1, Strategy: model.Strategy{Type: model.StrategyHighlander}}, "version is empty"},
		{"no instances", Request{Version: "v1", Strategy: model.Strategy{Type: model.StrategyHighlander}}, "instances is 0"},
		{"unknown strategy", Request{Version: "v1", Instances: 1, Strategy: model.Strategy{Type: "blue-green"}}, `strategy.type "blue-green" is unknown`},
		{"negative batch", Request{Version: "v1", Instances: 1, Strategy: model.Strategy{Type: model.StrategyRolling, BatchSize: -1}}, "batchSize is -1"},
		{"negative maxRemaining", Request{Version: "v1", Instances: 1, Strategy: model.Strategy{Type: model.StrategyRedBlack, MaxRemaining: -2}}, "maxRemaining is -2"},
		{"canary without steps", Request{Version: "v1", Instances: 1, Strategy: model.Strategy{Type: model.StrategyCanary}}, "canary.steps is empty"},
		{"weight over 100", Request{Version: "v1", Instances: 1, Strategy: canary(setWeight(10), setWeight(120))}, "steps[1].setWeight is 120: use a percentage from 0 to 100"},
		{"weight below 0", Request{Version: "v1", Instances: 1, Strategy: canary(setWeight(-5))}, "steps[0].setWeight is -5"},
		{"step with two fields", Request{Version: "v1", Instances: 1, Strategy: canary(model.CanaryStep{SetWeight: ptr(5), Pause: &model.PauseStep{}})}, "steps[0] sets 2 of setWeight, pause and analysis"},
		{"empty step", Request{Version: "v1", Instances: 1, Strategy: canary(model.CanaryStep{})}, "steps[0] sets 0 of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := PlanDeploy(cluster(serving(1, 2)), tc.req)
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("err = %v, want ErrInvalidRequest", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to mention %q", err, tc.want)
			}
		})
	}
}
