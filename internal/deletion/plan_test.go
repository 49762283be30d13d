package deletion

import (
	"slices"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func world(kind, name string) World {
	local := model.Environment{Name: "local", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"hello": "127.0.0.1:18080", "other": "127.0.0.1:18081"}}
	deploy := func(name, app string) model.Pipeline {
		return model.Pipeline{Name: name, Application: app, Stages: []model.StageSpec{{Name: "d", Deploy: &model.DeployStage{Environment: "local"}}}}
	}
	return World{
		Kind: kind, Name: name,
		Environments: []model.Environment{local},
		Pipelines:    []model.Pipeline{deploy("hello-release", "hello")},
		ServerGroups: []model.ServerGroup{
			{Name: "hello-v001", Application: "hello", Environment: "local", Status: model.ServerGroupDestroyed},
			{Name: "hello-v002", Application: "hello", Environment: "local", Status: model.ServerGroupUp},
		},
		Executions: []model.Execution{
			{ID: "e1", Application: "hello", Pipeline: "hello-release", Status: model.ExecutionSucceeded, Spec: deploy("hello-release", "hello")},
			{ID: "e2", Application: "hello", Pipeline: "hello-release", Status: model.ExecutionRunning, Spec: deploy("hello-release", "hello")},
		},
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              string
		w                 World
		objects, stop     []string
		doors, running    []string
		executions        int
		blocked           string
		stopsEnvironments int
	}{
		{name: "an application: its pipelines, live groups, front doors and executions",
			w:       world(model.KindApplication, "hello"),
			objects: []string{"Application/hello", "Pipeline/hello-release"}, stop: []string{"local/hello-v002"},
			doors: []string{"hello in local (127.0.0.1:18080)"}, running: []string{"e2"}, executions: 2},
		{name: "a pipeline: only itself; its running execution refuses",
			w:       world(model.KindPipeline, "hello-release"),
			objects: []string{"Pipeline/hello-release"}, running: []string{"e2"}},
		{name: "an environment a pipeline deploys to is blocked; it stops every group and its door process",
			w:       world(model.KindEnvironment, "local"),
			objects: []string{"Environment/local"}, stop: []string{"local/hello-v002"},
			doors: []string{"hello in local (127.0.0.1:18080)", "other in local (127.0.0.1:18081)"}, running: []string{"e2"},
			blocked: "pipelines [hello-release] deploy to environment local", stopsEnvironments: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Decide(tc.w)
			eq := func(what string, got, want []string) {
				if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			eq("objects", p.Objects, tc.objects)
			eq("server groups", p.ServerGroups, tc.stop)
			eq("front doors", p.FrontDoors, tc.doors)
			eq("running", p.Running, tc.running)
			if p.Executions != tc.executions {
				t.Errorf("executions = %d, want %d", p.Executions, tc.executions)
			}
			if (tc.blocked == "") != (p.Blocked == "") || !strings.Contains(p.Blocked, tc.blocked) {
				t.Errorf("blocked = %q, want %q", p.Blocked, tc.blocked)
			}
			if len(p.envs) != tc.stopsEnvironments {
				t.Errorf("stops %d environments, want %d", len(p.envs), tc.stopsEnvironments)
			}
		})
	}
}
