package engine

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestResolveParams(t *testing.T) {
	t.Parallel()
	release := model.Pipeline{
		Name: "release",
		Parameters: []model.Parameter{
			{Name: "region", Default: "eu-west-1"},
			{Name: "ticket", Required: true},
			{Name: "note"},
		},
	}
	tests := []struct {
		name    string
		given   map[string]string
		want    map[string]string
		wantErr []string // substrings of the error, which must wrap ErrBadRequest
	}{
		{
			name:  "defaults fill what was not given",
			given: map[string]string{"ticket": "OPS-1"},
			want:  map[string]string{"ticket": "OPS-1", "region": "eu-west-1"},
		},
		{
			name:  "a given value wins over the default",
			given: map[string]string{"ticket": "OPS-1", "region": "us-east-1", "note": "hotfix"},
			want:  map[string]string{"ticket": "OPS-1", "region": "us-east-1", "note": "hotfix"},
		},
		{
			name:    "a required parameter that is missing says how to pass it",
			given:   map[string]string{},
			wantErr: []string{`parameter "ticket" is required: pass --param ticket=VALUE`},
		},
		{
			name:    "an unknown parameter is named with the list of known ones",
			given:   map[string]string{"ticket": "OPS-1", "reigon": "eu"},
			wantErr: []string{`pipeline release has no parameter "reigon" (it has: note, region, ticket; version and env.NAME are always accepted)`},
		},
		{
			name:  "version and env.* are accepted by every pipeline",
			given: map[string]string{"ticket": "OPS-1", "version": "1.4.2", "env.LOG_LEVEL": "debug"},
			want:  map[string]string{"ticket": "OPS-1", "region": "eu-west-1", "version": "1.4.2", "env.LOG_LEVEL": "debug"},
		},
		{
			name:    "envelope is not env.*",
			given:   map[string]string{"ticket": "OPS-1", "envelope": "x"},
			wantErr: []string{`no parameter "envelope"`},
		},
		{
			name:  "every problem is reported at once, unknown names sorted",
			given: map[string]string{"zone": "a", "colour": "b"},
			wantErr: []string{
				`parameter "ticket" is required`,
				`no parameter "colour" (it has: note, region, ticket; version and env.NAME are always accepted); pipeline release has no parameter "zone"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolveParams(release, tt.given)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("resolveParams(%v) = %v, want an error", tt.given, got)
				}
				if !errors.Is(err, ErrBadRequest) {
					t.Errorf("error %q does not wrap ErrBadRequest", err)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("resolveParams(%v): %v", tt.given, err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("resolveParams(%v) = %v, want %v", tt.given, got, tt.want)
			}
		})
	}
}

func TestResolveParamsWithoutDeclaredParameters(t *testing.T) {
	t.Parallel()
	got, err := resolveParams(model.Pipeline{Name: "ship"}, map[string]string{"version": "2.0.0"})
	if err != nil || !maps.Equal(got, map[string]string{"version": "2.0.0"}) {
		t.Errorf("resolveParams = %v, %v; want version only", got, err)
	}
	if _, err := resolveParams(model.Pipeline{Name: "ship"}, map[string]string{"region": "eu"}); err == nil || !strings.Contains(err.Error(), `no parameter "region"`) {
		t.Errorf("unknown parameter on a pipeline without parameters: err = %v", err)
	}
}

func TestEvalCondition(t *testing.T) {
	t.Parallel()
	exec := &model.Execution{
		ID:     "exec-1",
		Params: map[string]string{"region": "eu", "dryRun": "false"},
		Stages: []model.Stage{
			{Name: "build", Status: model.StageSucceeded, Output: json.RawMessage(`{"image":"app:1.4.2","size":42}`)},
			{Name: "smoke", Status: model.StageFailedContinue},
			{Name: "deploy", Status: model.StagePending},
		},
	}
	tests := []struct {
		name    string
		expr    string
		want    bool
		wantErr string // substring; the error must name the expression
	}{
		{name: "an empty condition is true", expr: "", want: true},
		{name: "a parameter that matches", expr: `params.region == "eu"`, want: true},
		{name: "a parameter that does not match", expr: `params.region == "us"`, want: false},
		{name: "a membership test on parameters", expr: `"dryRun" in params && params.dryRun != "true"`, want: true},
		{name: "an earlier stage's status", expr: `stages.build.status == "succeeded"`, want: true},
		{name: "a stage that failed and continued", expr: `stages.smoke.status == "failed_continue"`, want: true},
		{name: "a pending stage", expr: `stages.deploy.status == "succeeded"`, want: false},
		{name: "an earlier stage's output", expr: `stages.build.output.image == "app:1.4.2"`, want: true},
		{name: "a non-boolean result is an error", expr: `params.region`, wantErr: "not true or false"},
		{name: "a number is not a boolean either", expr: `1 + 1`, wantErr: "not true or false"},
		{name: "an expression that does not compile", expr: `params.region ==`, wantErr: "does not compile"},
		{name: "an unknown variable does not compile", expr: `env.region == "eu"`, wantErr: "does not compile"},
		{name: "a missing parameter fails to evaluate", expr: `params.zone == "a"`, wantErr: "failed to evaluate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, why, err := evalCondition(tt.expr, exec)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("evalCondition(%q) = %v, want an error", tt.expr, got)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "`if: "+tt.expr+"`") {
					t.Errorf("error %q should say %q and name the expression", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("evalCondition(%q): %v", tt.expr, err)
			}
			if got != tt.want {
				t.Errorf("evalCondition(%q) = %v, want %v", tt.expr, got, tt.want)
			}
			if !got && !strings.Contains(why, tt.expr) {
				t.Errorf("skip reason %q does not name the condition", why)
			}
		})
	}
}

func TestEvalConditionWithoutParams(t *testing.T) {
	t.Parallel()
	got, _, err := evalCondition(`size(params) == 0`, &model.Execution{ID: "exec-1"})
	if err != nil || !got {
		t.Errorf("evalCondition on an execution without params = %v, %v; want true", got, err)
	}
}
