package web

import (
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// graphView is a pipeline graph as the "graph" template draws it: the
// layout, each box with what it says, a title and a description in words
// for screen readers.
type graphView struct {
	graphLayout
	ID    string
	Nodes []graphNode
	Title string
	Desc  string
	// Linked: the boxes link to the stages below, so the drawing is a
	// group of links for assistive technology, not one image.
	Linked bool
}

// graphNode is one stage's box and its words.
type graphNode struct {
	graphBox
	Type model.StageType
	// Status is the stage's status ("" on a pipeline's definition, which
	// has not run); Class colours it.
	Status string
	Class  string
	// Line is the box's last line: status and duration, or the type's detail.
	Line string
	// Current marks the stage running or waiting now.
	Current bool
	// Href is where the box links to ("" for none).
	Href string
}

// pipelineGraph lays out spec's stages. stages, when given (an
// execution's), adds each stage's status and duration and marks the
// running one; without them the boxes show the definition.
func pipelineGraph(id string, spec model.Pipeline, stages []stageView) *graphView {
	if len(spec.Stages) == 0 {
		return nil
	}
	names := make([]string, len(spec.Stages))
	for i, s := range spec.Stages {
		names[i] = s.Name
	}
	g := &graphView{graphLayout: layoutGraph(names, spec.StageNeeds()), ID: id}
	byName := map[string]stageView{}
	for _, s := range stages {
		byName[s.Name] = s
	}
	types := map[string]model.StageType{}
	for _, s := range spec.Stages {
		types[s.Name] = s.Type()
	}
	var words []string
	for _, b := range g.Boxes {
		n := graphNode{graphBox: b, Type: types[b.Name]}
		if sv, ok := byName[b.Name]; ok {
			n.Type = sv.Type
			n.Status = string(sv.Status)
			n.Class = statusClass(sv.Status)
			n.Line = n.Status
			if sv.Duration > 0 {
				n.Line += " · " + fmtDuration(sv.Duration)
			}
			n.Current = sv.Status == model.StageRunning || sv.Status == model.StageWaiting
			n.Href = "#stage-" + b.Name
			g.Linked = true
		} else {
			n.Class = "muted"
			n.Line = specDetail(spec, b.Name)
			if stages != nil {
				n.Status, n.Line = "pending", "pending"
			}
		}
		g.Nodes = append(g.Nodes, n)
		w := fmt.Sprintf("%s (%s)", b.Name, n.Type)
		if n.Status != "" {
			w += " " + n.Status
		}
		if needs := spec.StageNeeds()[b.Name]; len(needs) > 0 {
			w += " after " + strings.Join(needs, " and ")
		}
		words = append(words, w)
	}
	g.Title = fmt.Sprintf("Stages of %s as a graph", spec.Name)
	g.Desc = strings.Join(words, "; ") + "."
	return g
}

// specDetail is a short word on a stage of a definition: where a deploy
// goes and how, how long a wait is.
func specDetail(spec model.Pipeline, name string) string {
	s, _ := spec.Stage(name)
	switch {
	case s.Deploy != nil && s.Deploy.InWaves():
		return "waves: " + strings.Join(s.Deploy.Environments, ", ")
	case s.Deploy != nil && s.Deploy.Strategy.Type != "":
		return string(s.Deploy.Strategy.Type) + " → " + s.Deploy.Environment
	case s.Deploy != nil:
		return "→ " + s.Deploy.Environment
	case s.Rollback != nil:
		return "in " + s.Rollback.Environment
	case s.Wait != nil:
		return "for " + fmtDuration(s.Wait.Duration.D())
	}
	return ""
}
