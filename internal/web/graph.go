package web

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

// The pipeline graph: stages as boxes, left to right by their layer in the
// needs DAG, with an edge from each stage to every stage that needs it.
// layoutGraph is pure (names and needs in, positions out); the templates
// draw what it returns as an SVG, so the graph needs no JavaScript.

// Sizes of the graph, in SVG user units.
const (
	graphBoxW   = 176
	graphBoxH   = 66
	graphGapX   = 44
	graphGapY   = 18
	graphPad    = 8
	graphMaxLen = 20 // characters of a stage name shown in its box (bold 13px)
)

// graphLayout is where every box and edge of a pipeline graph goes.
type graphLayout struct {
	W, H  int
	Boxes []graphBox
	Edges []graphEdge
}

// graphBox is one stage's box.
type graphBox struct {
	Name string
	// Label is Name, shortened to fit the box.
	Label string
	// Layer is the box's column: 0 for stages that need nothing, else one
	// more than the deepest stage it needs (the longest path to it).
	Layer int
	// Row is the box's place in its column, from the top.
	Row        int
	X, Y, W, H int
}

// graphEdge joins the box of a stage (From) to the box of one that needs it (To).
type graphEdge struct {
	From, To string
	// Path is the SVG path from the right edge of From to the left of To.
	Path string
}

// layoutGraph places stages (in pipeline order) by needs: each stage's
// layer is its longest path from a stage that needs nothing; within a
// layer stages are ordered by the mean row of what they need (fewer edges
// cross), then in pipeline order. Needs naming no stage are left out, and
// a cycle (config validation refuses them) does not loop.
func layoutGraph(stages []string, needs map[string][]string) graphLayout {
	known := make(map[string]int, len(stages))
	for i, s := range stages {
		known[s] = i
	}
	depth := stageDepths(stages, needs)
	layers := map[int][]string{}
	last := -1
	for _, s := range stages {
		layers[depth[s]] = append(layers[depth[s]], s)
		last = max(last, depth[s])
	}
	row := map[string]int{}
	rows := 0
	for l := 0; l <= last; l++ {
		names := layers[l]
		mean := make(map[string]float64, len(names))
		for _, s := range names {
			sum, n := 0.0, 0
			for _, need := range needs[s] {
				if r, ok := row[need]; ok {
					sum, n = sum+float64(r), n+1
				}
			}
			if n > 0 {
				mean[s] = sum / float64(n)
			}
		}
		// By the mean row of what they need (layer 0 needs nothing: all
		// 0), then in pipeline order.
		sort.SliceStable(names, func(a, b int) bool {
			if mean[names[a]] != mean[names[b]] {
				return mean[names[a]] < mean[names[b]]
			}
			return known[names[a]] < known[names[b]]
		})
		for i, s := range names {
			row[s] = i
		}
		rows = max(rows, len(names))
	}
	if len(stages) == 0 {
		return graphLayout{}
	}
	g := graphLayout{
		W: 2*graphPad + (last+1)*graphBoxW + max(last, 0)*graphGapX,
		H: 2*graphPad + rows*graphBoxH + max(rows-1, 0)*graphGapY,
	}
	at := map[string]graphBox{}
	for _, s := range stages {
		b := graphBox{Name: s, Label: shorten(s, graphMaxLen), Layer: depth[s], Row: row[s], W: graphBoxW, H: graphBoxH}
		b.X = graphPad + b.Layer*(graphBoxW+graphGapX)
		b.Y = graphPad + b.Row*(graphBoxH+graphGapY)
		at[s] = b
		g.Boxes = append(g.Boxes, b)
	}
	for _, s := range stages {
		to := at[s]
		for _, need := range needs[s] {
			from, ok := at[need]
			if !ok || need == s {
				continue
			}
			x1, y1 := from.X+from.W, from.Y+from.H/2
			x2, y2 := to.X, to.Y+to.H/2
			mid := (x1 + x2) / 2
			g.Edges = append(g.Edges, graphEdge{From: need, To: s,
				Path: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2, y2)})
		}
	}
	return g
}

// stageDepths gives each stage its depth in the needs DAG (the pipeline's
// StageNeeds): 0 for stages that need nothing, else one more than the
// deepest stage it needs. Needs naming no stage of stages count as nothing.
func stageDepths(stages []string, needs map[string][]string) map[string]int {
	known := make(map[string]bool, len(stages))
	for _, s := range stages {
		known[s] = true
	}
	depth := map[string]int{}
	var visit func(name string, seen map[string]bool) int
	visit = func(name string, seen map[string]bool) int {
		if d, ok := depth[name]; ok {
			return d
		}
		if seen[name] {
			return 0 // a cycle: config validation forbids these
		}
		seen[name] = true
		d := 0
		for _, n := range needs[name] {
			if known[n] {
				d = max(d, visit(n, seen)+1)
			}
		}
		depth[name] = d
		return d
	}
	for _, name := range stages {
		visit(name, map[string]bool{})
	}
	return depth
}

// shorten cuts s to n characters, ending in "…" when it was longer.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
