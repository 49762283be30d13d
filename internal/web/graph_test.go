package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// graphOf lays out a pipeline and renders each box as "name@layer,row".
func graphOf(p model.Pipeline) (graphLayout, string) {
	names := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		names[i] = s.Name
	}
	g := layoutGraph(names, p.StageNeeds())
	var out []string
	for _, b := range g.Boxes {
		out = append(out, fmt.Sprintf("%s@%d,%d", b.Name, b.Layer, b.Row))
	}
	return g, strings.Join(out, " ")
}

func stages(specs ...model.StageSpec) model.Pipeline { return model.Pipeline{Stages: specs} }

func st(name string, needs ...string) model.StageSpec {
	return model.StageSpec{Name: name, Needs: needs}
}

func TestLayoutGraph(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		p     model.Pipeline
		boxes string
		edges string
	}{
		{"Empty", stages(), "", ""},
		// Without needs the stages run in the order written: a chain.
		{"Sequential", stages(st("build"), st("deploy"), st("verify")), "build@0,0 deploy@1,0 verify@2,0", "build>deploy deploy>verify"},
		{"Diamond", stages(st("a"), st("b", "a"), st("c", "a"), st("d", "b", "c"), st("e")),
			"a@0,0 b@1,0 c@1,1 d@2,0 e@0,1", "a>b a>c b>d c>d"},
		// The longest path decides the layer: d needs a directly and through b and c.
		{"LongestPath", stages(st("a"), st("b", "a"), st("c", "b"), st("d", "a", "c")),
			"a@0,0 b@1,0 c@2,0 d@3,0", "a>b b>c a>d c>d"},
		// In a layer, stages follow the rows of what they need, so edges do not cross:
		// y needs the lower root, x the upper one, though y is written first.
		{"FewerCrossings", stages(st("top"), st("bottom"), st("y", "bottom"), st("x", "top")),
			"top@0,0 bottom@0,1 y@1,1 x@1,0", "bottom>y top>x"},
		// A need naming no stage is left out; a cycle does not loop.
		{"UnknownNeed", stages(st("a", "ghost"), st("b", "a")), "a@0,0 b@1,0", "a>b"},
		{"Cycle", stages(st("a", "b"), st("b", "a")), "a@2,0 b@1,0", "b>a a>b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, boxes := graphOf(tc.p)
			if boxes != tc.boxes {
				t.Errorf("boxes = %q, want %q", boxes, tc.boxes)
			}
			var edges []string
			for _, e := range g.Edges {
				edges = append(edges, e.From+">"+e.To)
			}
			if got := strings.Join(edges, " "); got != tc.edges {
				t.Errorf("edges = %q, want %q", got, tc.edges)
			}
		})
	}
}

// TestLayoutGraphGeometry: boxes do not overlap, fit the drawing, and every
// edge runs from the right side of its source to the left side of its target.
func TestLayoutGraphGeometry(t *testing.T) {
	t.Parallel()
	g, _ := graphOf(stages(st("a"), st("b", "a"), st("c", "a"), st("d", "a"), st("e", "b", "c", "d"), st("f")))
	if g.W != 2*graphPad+3*graphBoxW+2*graphGapX || g.H != 2*graphPad+3*graphBoxH+2*graphGapY {
		t.Errorf("size %dx%d: want 3 layers by 3 rows", g.W, g.H)
	}
	at := map[string]graphBox{}
	for i, a := range g.Boxes {
		at[a.Name] = a
		if a.X < 0 || a.Y < 0 || a.X+a.W > g.W || a.Y+a.H > g.H {
			t.Errorf("box %s at %d,%d+%dx%d is outside the %dx%d drawing", a.Name, a.X, a.Y, a.W, a.H, g.W, g.H)
		}
		for _, b := range g.Boxes[i+1:] {
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Errorf("boxes %s and %s overlap", a.Name, b.Name)
			}
		}
	}
	for _, e := range g.Edges {
		from, to := at[e.From], at[e.To]
		want := fmt.Sprintf("M%d %d ", from.X+from.W, from.Y+from.H/2)
		end := fmt.Sprintf(" %d %d", to.X, to.Y+to.H/2)
		if !strings.HasPrefix(e.Path, want) || !strings.HasSuffix(e.Path, end) {
			t.Errorf("edge %s>%s path %q: want it from %q to %q", e.From, e.To, e.Path, want, end)
		}
	}
}

func TestShorten(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"deploy": "deploy", "canary-to-production-eu": "canary-to-producti…", "ünïcödé": "ünïc…"} {
		n := 19
		if in == "ünïcödé" {
			n = 5
		}
		if got := shorten(in, n); got != want {
			t.Errorf("shorten(%q, %d) = %q, want %q", in, n, got, want)
		}
	}
}

func TestStageDepths(t *testing.T) {
	t.Parallel()
	p := stages(st("a"), st("b", "a"), st("c", "a"), st("d", "b", "c"), st("e"))
	d := stageDepths([]string{"a", "b", "c", "d", "e"}, p.StageNeeds())
	want := map[string]int{"a": 0, "b": 1, "c": 1, "d": 2, "e": 0}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("depth of %s = %d, want %d", k, d[k], v)
		}
	}
}
