package auth

import (
	"errors"
	"slices"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func deployTo(name, env string, needs ...string) model.StageSpec {
	return model.StageSpec{Name: name, Needs: needs, Deploy: &model.DeployStage{Environment: env}}
}

func judgment(name string, needs ...string) model.StageSpec {
	return model.StageSpec{Name: name, Needs: needs, Judgment: &model.JudgmentStage{}}
}

func TestRunAndApprovalEnvironments(t *testing.T) {
	conditional := judgment("maybe")
	conditional.If = "params.careful == 'yes'"
	lenient := judgment("soft")
	lenient.OnFailure = model.OnFailureContinue
	tests := []struct {
		name     string
		stages   []model.StageSpec
		run      []string
		approve  string
		approved []string
	}{
		{"staging then judgment then production (a list runs in order)",
			[]model.StageSpec{deployTo("staging", "staging"), judgment("ok"), deployTo("prod", "production")},
			[]string{"staging"}, "ok", []string{"production"}},
		{"no judgment: the runner decides every deploy",
			[]model.StageSpec{deployTo("staging", "staging"), deployTo("prod", "production")},
			[]string{"production", "staging"}, "", nil},
		{"judgment first gates everything",
			[]model.StageSpec{judgment("ok"), deployTo("staging", "staging"), deployTo("prod", "production")},
			nil, "ok", []string{"production", "staging"}},
		{"a judgment with a condition does not gate",
			[]model.StageSpec{conditional, deployTo("prod", "production")},
			[]string{"production"}, "maybe", []string{"production"}},
		{"a judgment whose rejection continues does not gate",
			[]model.StageSpec{lenient, deployTo("prod", "production")},
			[]string{"production"}, "soft", []string{"production"}},
		{"DAG: a parallel branch is not behind the judgment",
			[]model.StageSpec{judgment("ok"), deployTo("prod", "production", "ok"), deployTo("eu", "production-eu")},
			[]string{"production-eu"}, "ok", []string{"production"}},
		{"DAG: gated through an intermediate stage",
			[]model.StageSpec{judgment("ok"), {Name: "notify", Needs: []string{"ok"}, Noop: &model.NoopStage{}}, deployTo("prod", "production", "notify")},
			nil, "ok", []string{"production"}},
		{"a deploy stage's approval is its canary pause, in its own environment",
			[]model.StageSpec{deployTo("staging", "staging"), judgment("ok"), deployTo("prod", "production")},
			[]string{"staging"}, "staging", []string{"staging"}},
		{"a deploy in waves acts in every one of its environments",
			[]model.StageSpec{{Name: "waves", Deploy: &model.DeployStage{Environments: []string{"prod-us", "prod-eu"}}}},
			[]string{"prod-eu", "prod-us"}, "", nil},
		{"a judgment before a deploy in waves opens every one of its environments",
			[]model.StageSpec{judgment("ok"), {Name: "waves", Deploy: &model.DeployStage{Environments: []string{"prod-us", "prod-eu"}}}},
			nil, "ok", []string{"prod-eu", "prod-us"}},
		{"overriding an error-budget gate is a decision about its environment",
			[]model.StageSpec{{Name: "budget", SLOGate: &model.SLOGateStage{Environment: "production"}}, deployTo("staging", "staging", "budget")},
			[]string{"staging"}, "budget", []string{"production", "staging"}},
		{"rollback stages count as acting in their environment",
			[]model.StageSpec{{Name: "undo", Rollback: &model.RollbackStage{Environment: "production"}}},
			[]string{"production"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := model.Pipeline{Name: "p", Application: "a", Stages: tt.stages}
			if got := RunEnvironments(pl); !slices.Equal(got, tt.run) {
				t.Errorf("RunEnvironments = %v, want %v", got, tt.run)
			}
			if tt.approve != "" {
				if got := ApprovalEnvironments(pl, tt.approve); !slices.Equal(got, tt.approved) {
					t.Errorf("ApprovalEnvironments(%s) = %v, want %v", tt.approve, got, tt.approved)
				}
			}
		})
	}
}

func TestFourEyes(t *testing.T) {
	pl := model.Pipeline{Name: "p", Application: "a", Stages: []model.StageSpec{deployTo("staging", "staging"), judgment("ok"), deployTo("prod", "production")}}
	strict := func(env string) bool { return env == "production" }
	byUser := &model.Execution{ID: "e1", Spec: pl, Trigger: model.Trigger{Actor: "dev@example.com"}}
	// dev's CI token started this one: dev answers for it.
	byToken := &model.Execution{ID: "e2", Spec: pl, Trigger: model.Trigger{Actor: "token:ci", Owner: "dev@example.com"}}
	dev := examplePolicy.UserPrincipal(model.Identity{Subject: "Dev@Example.com", Kind: model.IdentityUser})
	ann := examplePolicy.UserPrincipal(model.Identity{Subject: "ann@example.com", Kind: model.IdentityUser})
	devsToken := TokenPrincipal(model.Token{Name: "sockpuppet", Owner: "dev@example.com"})
	annsToken := TokenPrincipal(model.Token{Name: "ann-ci", Owner: "ann@example.com"})
	kelvin := examplePolicy.UserPrincipal(model.Identity{Subject: "dev@example.com", Kind: model.IdentityUser})
	tests := []struct {
		name   string
		exec   *model.Execution
		stage  string
		who    Principal
		strict func(string) bool
		refuse bool
	}{
		{"the starter, in any letter case", byUser, "ok", dev, strict, true},
		{"a token the starter owns", byUser, "ok", devsToken, strict, true},
		{"the starter of a token's run", byToken, "ok", dev, strict, true},
		{"another token of the same owner", byToken, "ok", devsToken, strict, true},
		{"a second person", byUser, "ok", ann, strict, false},
		{"a second person's token", byToken, "ok", annsToken, strict, false},
		{"staging's canary pause is not strict", byUser, "staging", dev, strict, false},
		{"no environment requires it", byUser, "ok", dev, func(string) bool { return false }, false},
		{"the same email in lower case", byUser, "ok", kelvin, strict, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := FourEyes(tt.exec, tt.stage, tt.who, tt.strict)
			if tt.refuse != errors.Is(err, ErrForbidden) {
				t.Fatalf("FourEyes = %v, want refused %v", err, tt.refuse)
			}
		})
	}
}

func TestSameNameFoldsOnlyASCII(t *testing.T) {
	if !SameName("Dev@Example.COM", "dev@example.com") {
		t.Error("ASCII letters fold")
	}
	if SameName("\u212aate@example.com", "kate@example.com") || SameName("Kate@example.com", "kate@example.com") {
		t.Error("the Kelvin sign must not fold onto k")
	}
}
