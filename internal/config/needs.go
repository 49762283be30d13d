package config

import (
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// validateNeeds checks that every need names another stage of the pipeline
// and that the needs form no cycle. stages maps names to their first index.
func validateNeeds(doc *Document, p *model.Pipeline, stages map[string]int) []Error {
	var errs []Error
	names := make([]string, 0, len(stages))
	for n := range stages {
		names = append(names, n)
	}
	for i, s := range p.Stages {
		for j, need := range s.Needs {
			path := indexPath(indexPath("spec.stages", i)+".needs", j)
			_, ok := stages[need]
			switch {
			case need == s.Name:
				errs = append(errs, doc.errorf(path, "stage %q needs itself: remove it", need))
			case !ok:
				errs = append(errs, doc.errorf(path, "no stage is named %q%s", need, orList(need, "the pipeline's stages", names)))
			}
		}
	}
	if cycle := findCycle(p, stages); cycle != nil {
		first := stages[cycle[0]]
		errs = append(errs, doc.errorf(indexPath("spec.stages", first)+".needs",
			"the needs form a cycle %s (each needs the next): remove one of these needs", strings.Join(cycle, " -> ")))
	}
	return errs
}

// orList returns a suggestion for a misspelt name, else a list of the names
// there are, to end a message with.
func orList(name, what string, names []string) string {
	if s := didYouMean(name, names); s != "" {
		return s
	}
	if len(names) == 0 || len(names) > 10 {
		return ""
	}
	sortStrings(names)
	return fmt.Sprintf("; %s are %s", what, strings.Join(names, ", "))
}

// findCycle returns the first cycle among the stages' needs, as the stage
// names along it with the first repeated at the end, or nil.
func findCycle(p *model.Pipeline, stages map[string]int) []string {
	const (
		unvisited = iota
		inProgress
		done
	)
	state := make([]int, len(p.Stages))
	var stack []string
	var visit func(i int) []string
	visit = func(i int) []string {
		state[i] = inProgress
		stack = append(stack, p.Stages[i].Name)
		for _, need := range p.Stages[i].Needs {
			j, ok := stages[need]
			if !ok || need == p.Stages[i].Name {
				continue // reported on their own
			}
			switch state[j] {
			case inProgress:
				start := len(stack) - 1
				for stack[start] != need {
					start--
				}
				cycle := append([]string{}, stack[start:]...)
				return append(cycle, need)
			case unvisited:
				if c := visit(j); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		return nil
	}
	for i, s := range p.Stages {
		if first, ok := stages[s.Name]; ok && first == i && state[i] == unvisited {
			if c := visit(i); c != nil {
				return c
			}
		}
	}
	return nil
}
