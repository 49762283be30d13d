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
	exec := &model.Execution{ID: "e1", Spec: pl, Trigger: model.Trigger{Actor: "dev@example.com"}}
	strict := func(env string) bool { return env == "production" }
	if err := FourEyes(exec, "ok", "Dev@Example.com", strict); !errors.Is(err, ErrForbidden) {
		t.Fatalf("the starter approving a production gate: got %v, want forbidden", err)
	}
	if err := FourEyes(exec, "ok", "ann@example.com", strict); err != nil {
		t.Fatalf("a second person: %v", err)
	}
	if err := FourEyes(exec, "staging", "dev@example.com", strict); err != nil {
		t.Fatalf("staging's canary pause is not strict: %v", err)
	}
	if err := FourEyes(exec, "ok", "dev@example.com", func(string) bool { return false }); err != nil {
		t.Fatalf("no environment requires it: %v", err)
	}
}
