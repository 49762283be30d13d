package store

import (
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
)

// Batched reads: a page that shows many applications reads what it shows
// for all of them in one query per kind of data, never one per
// application. The lists are bounded, so a query stays one index probe per
// item.
const (
	// MaxBatchApplications bounds the applications of one batched read
	// (a page of the UI shows 50).
	MaxBatchApplications = 200
	// MaxBatchEnvironments bounds the environments of one batched read.
	MaxBatchEnvironments = 100
)

// ExecutionLatestParams asks for the newest execution of each of
// Applications, and of each application in each of Environments.
type ExecutionLatestParams struct {
	Applications []string
	// Environments, when set, also asks for each application's newest
	// execution that may change each of these environments (one of its
	// stages deploys to it or rolls it back: model.StageSpec.Changes).
	Environments []string
}

// Check refuses a batch too large to be one bounded query.
func (p ExecutionLatestParams) Check() error {
	if err := checkBatch("applications", len(p.Applications), MaxBatchApplications); err != nil {
		return fmt.Errorf("latest executions: %w", err)
	}
	if err := checkBatch("environments", len(p.Environments), MaxBatchEnvironments); err != nil {
		return fmt.Errorf("latest executions: %w", err)
	}
	return nil
}

// MaxRecentPerPipeline bounds ExecutionRecentParams.PerPipeline.
const MaxRecentPerPipeline = 20

// ExecutionRecentParams asks for the newest PerPipeline executions of each
// of Pipelines.
type ExecutionRecentParams struct {
	Pipelines   []string
	PerPipeline int // 1 to MaxRecentPerPipeline; 0 means 5
}

// Check refuses a batch too large to be one bounded query.
func (p ExecutionRecentParams) Check() error {
	if err := checkBatch("pipelines", len(p.Pipelines), MaxBatchApplications); err != nil {
		return fmt.Errorf("recent executions: %w", err)
	}
	if p.PerPipeline < 0 || p.PerPipeline > MaxRecentPerPipeline {
		return fmt.Errorf("recent executions: %d per pipeline asked for, at most %d: ask for fewer", p.PerPipeline, MaxRecentPerPipeline)
	}
	return nil
}

// Per is the number of executions per pipeline ExecutionRecent returns.
func (p ExecutionRecentParams) Per() int {
	if p.PerPipeline == 0 {
		return 5
	}
	return p.PerPipeline
}

// LatestExecution is the newest execution of an application (Environment
// "") or the newest of those that may change Environment. The execution
// comes without its stages (Stages is nil): read it with ExecutionGet for
// them.
type LatestExecution struct {
	Application string
	Environment string
	Execution   model.Execution
}

// Check refuses a batch too large to be one bounded query.
func (p ServerGroupListParams) Check() error {
	if err := checkBatch("applications", len(p.Applications), MaxBatchApplications); err != nil {
		return fmt.Errorf("list server groups: %w", err)
	}
	return nil
}

func checkBatch(what string, n, most int) error {
	if n > most {
		return fmt.Errorf("%d %s asked for in one read, at most %d: ask a page at a time", n, what, most)
	}
	return nil
}

// ExecutionEnvironments lists the environments an execution of spec may
// change, each once, in stage order: what ExecutionLatest finds it by.
func ExecutionEnvironments(spec model.Pipeline) []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range spec.Stages {
		for _, env := range st.Environments() {
			if !seen[env] {
				seen[env] = true
				out = append(out, env)
			}
		}
	}
	return out
}

// NarrowServerGroups keeps the groups of a batched ServerGroupList (by
// params.Applications) that params.Application and params.Environment also
// name, when set: the filters mean the same with or without the batch.
func NarrowServerGroups(groups []model.ServerGroup, params ServerGroupListParams) []model.ServerGroup {
	if params.Application == "" && params.Environment == "" {
		return groups
	}
	out := groups[:0]
	for _, g := range groups {
		if (params.Application == "" || g.Application == params.Application) &&
			(params.Environment == "" || g.Environment == params.Environment) {
			out = append(out, g)
		}
	}
	return out
}
