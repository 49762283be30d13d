package audit

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestDiff(t *testing.T) {
	old := model.Application{Name: "checkout", Team: "payments", Instances: 2, Labels: map[string]string{"tier": "1"},
		Run: model.RunSpec{Command: "serve", Args: []string{"--port", "1"}}}
	changed := old
	changed.Instances = 3
	changed.Team = "search"
	changed.Labels = nil
	changed.Run.Args = []string{"--port", "2"}
	got := Diff(old, changed)
	want := []Change{
		{Path: "instances", Old: 2.0, New: 3.0},
		{Path: "labels", Old: map[string]any{"tier": "1"}},
		{Path: "run.args[1]", Old: "1", New: "2"},
		{Path: "team", Old: "payments", New: "search"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff =\n%#v\nwant\n%#v", got, want)
	}
	if d := Diff(old, old); len(d) != 0 {
		t.Fatalf("an unchanged object has a diff: %v", d)
	}
}

func TestDiffOfNewObjectAndBounds(t *testing.T) {
	d := Diff(nil, model.Application{Name: "x", ManifestTemplate: strings.Repeat("a", 5000)})
	if len(d) != 1 || d[0].Path != "." || d[0].Old != nil {
		t.Fatalf("a new object is one change at the root: %#v", d)
	}
	if s, ok := d[0].New.(string); !ok || !strings.Contains(s, "bytes") {
		t.Fatalf("a large value is recorded by its size, got %T", d[0].New)
	}
}
