package deletion

import (
	"fmt"
	"slices"
	"sort"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Plan is what deleting an object would do. --dry-run prints it.
type Plan struct {
	// Object is "Application/hello", "Environment/local" or "Pipeline/hello-release".
	Object string `json:"object"`
	// Objects are the config objects removed: the object, and an
	// application's pipelines.
	Objects []string `json:"objects"`
	// ServerGroups are the server groups stopped, "ENV/NAME" (destroyed
	// ones are only forgotten).
	ServerGroups []string `json:"serverGroups"`
	// FrontDoors are the front doors taken down, "APP in ENV (ADDRESS)".
	FrontDoors []string `json:"frontDoors"`
	// Executions counts the execution records removed (an application's).
	Executions int `json:"executions"`
	// Running are the running executions that refuse the deletion, or
	// that --force cancels first.
	Running []string `json:"running"`
	// Blocked says why the object cannot be deleted at all, and what to do
	// ("" when it can).
	Blocked string `json:"blocked,omitempty"`

	// stop and doors are what teardown acts on.
	stop  []groupIn
	doors []doorIn
	// envs are the environments whose front-door processes stop (an
	// environment's deletion).
	envs []model.Environment
}

type groupIn struct {
	env model.Environment
	sg  model.ServerGroup
}

type doorIn struct {
	app string
	env model.Environment
}

// World is what a plan is made from, read from the store.
type World struct {
	Kind, Name   string
	Environments []model.Environment
	// Pipelines are every pipeline (an environment's deletion is refused
	// while one deploys there).
	Pipelines []model.Pipeline
	// ServerGroups are the object's server groups, destroyed ones included.
	ServerGroups []model.ServerGroup
	// Executions are the object's executions (an application's; for the
	// others only the running ones matter).
	Executions []model.Execution
}

// Decide plans the deletion of w.Kind/w.Name from what is stored.
func Decide(w World) Plan {
	p := Plan{Object: w.Kind + "/" + w.Name, Objects: []string{w.Kind + "/" + w.Name}, ServerGroups: []string{}, FrontDoors: []string{}, Running: []string{}}
	envs := map[string]model.Environment{}
	for _, e := range w.Environments {
		envs[e.Name] = e
	}
	for _, ex := range w.Executions {
		if concerns(w, ex) && ex.Status == model.ExecutionRunning {
			p.Running = append(p.Running, ex.ID)
		}
		if w.Kind == model.KindApplication {
			p.Executions++
		}
	}
	switch w.Kind {
	case model.KindApplication:
		for _, pl := range w.Pipelines {
			if pl.Application == w.Name {
				p.Objects = append(p.Objects, model.KindPipeline+"/"+pl.Name)
			}
		}
		for _, e := range w.Environments {
			if addr := e.FrontDoors[w.Name]; addr != "" {
				p.doors = append(p.doors, doorIn{app: w.Name, env: e})
				p.FrontDoors = append(p.FrontDoors, fmt.Sprintf("%s in %s (%s)", w.Name, e.Name, addr))
			}
		}
	case model.KindEnvironment:
		var users []string
		for _, pl := range w.Pipelines {
			if slices.Contains(store.ExecutionEnvironments(pl), w.Name) {
				users = append(users, pl.Name)
			}
		}
		if len(users) > 0 {
			sort.Strings(users)
			p.Blocked = fmt.Sprintf("pipelines %v deploy to environment %s: delete them, or remove the environment from their stages and apply them, first", users, w.Name)
		}
		if e, ok := envs[w.Name]; ok {
			p.envs = append(p.envs, e)
			for _, app := range sortedKeys(e.FrontDoors) {
				p.FrontDoors = append(p.FrontDoors, fmt.Sprintf("%s in %s (%s)", app, e.Name, e.FrontDoors[app]))
			}
		}
	}
	if w.Kind != model.KindPipeline {
		for _, sg := range w.ServerGroups {
			if sg.Status == model.ServerGroupDestroyed {
				continue
			}
			p.stop = append(p.stop, groupIn{env: envs[sg.Environment], sg: sg})
			p.ServerGroups = append(p.ServerGroups, sg.Environment+"/"+sg.Name)
		}
	}
	return p
}

// concerns says whether an execution holds up the deletion of w's object.
func concerns(w World, ex model.Execution) bool {
	switch w.Kind {
	case model.KindApplication:
		return ex.Application == w.Name
	case model.KindPipeline:
		return ex.Pipeline == w.Name
	case model.KindEnvironment:
		return slices.Contains(store.ExecutionEnvironments(ex.Spec), w.Name)
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
