package registry

import (
	"slices"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func mustFilter(t *testing.T, tag, semver string) Filter {
	t.Helper()
	f, err := NewFilter(model.RegistryTrigger{Repository: "r", Tag: tag, Semver: semver})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFilterSort(t *testing.T) {
	tests := []struct {
		name, tag, semver string
		tags, want        []string
	}{
		{"natural order", "", "", []string{"build-10", "build-9", "build-100", "latest"}, []string{"build-9", "build-10", "build-100", "latest"}},
		{"regexp matches the whole tag", `build-\d+`, "", []string{"build-10", "xbuild-11", "build-12-rc", "build-9"}, []string{"build-9", "build-10"}},
		{"semver order and constraint", "", "^1.4", []string{"1.10.0", "1.4.0", "v1.9.2", "2.0.0", "1.3.9", "latest", "1.5.0-rc.1"}, []string{"1.4.0", "v1.9.2", "1.10.0"}},
		{"both", `v.*`, ">=1.0", []string{"v1.0.0", "1.1.0", "v1.2.0"}, []string{"v1.0.0", "v1.2.0"}},
		{"dates", "", "", []string{"2026-02-01", "2026-01-31", "2025-12-31"}, []string{"2025-12-31", "2026-01-31", "2026-02-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustFilter(t, tt.tag, tt.semver).Sort(tt.tags)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Sort(%v) = %v, want %v", tt.tags, got, tt.want)
			}
		})
	}
}

func TestNewFilterErrors(t *testing.T) {
	if _, err := NewFilter(model.RegistryTrigger{Repository: "r", Tag: "("}); err == nil {
		t.Error("bad tag regexp: no error")
	}
	if _, err := NewFilter(model.RegistryTrigger{Repository: "r", Semver: "^^1"}); err == nil {
		t.Error("bad semver: no error")
	}
}

func TestNaturalCompare(t *testing.T) {
	ordered := []string{"", "1", "2", "10", "010", "a", "a1", "a2", "a10", "b"}
	for i := range ordered {
		for j := range ordered {
			got := naturalCompare(ordered[i], ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("naturalCompare(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestDecide(t *testing.T) {
	anyTag := mustFilter(t, "", "")
	semver := mustFilter(t, "", "^1.4")
	tests := []struct {
		name    string
		f       Filter
		prev    *Cursor
		sorted  []string
		digests map[string]string
		want    string
	}{
		{"first look fires nothing", anyTag, nil, []string{"a"}, map[string]string{"a": "d1"}, ""},
		{"nothing new", anyTag, &Cursor{Tags: map[string]string{"a": "d1"}}, []string{"a"}, map[string]string{"a": "d1"}, ""},
		{"new tag", anyTag, &Cursor{Tags: map[string]string{"b-1": "d1"}}, []string{"b-1", "b-2"}, map[string]string{"b-1": "d1", "b-2": "d2"}, "b-2"},
		{"several new: the newest only", anyTag, &Cursor{Tags: map[string]string{"b-1": "d1"}}, []string{"b-1", "b-2", "b-3", "b-10"}, nil, "b-10"},
		{"moved tag", anyTag, &Cursor{Tags: map[string]string{"latest": "d1"}}, []string{"latest"}, map[string]string{"latest": "d2"}, "latest"},
		{"digest first resolved is no move", anyTag, &Cursor{Tags: map[string]string{"latest": ""}}, []string{"latest"}, map[string]string{"latest": "d2"}, ""},
		{"without semver an older new tag fires", anyTag, &Cursor{Tags: map[string]string{"b-5": "d5"}}, []string{"b-4", "b-5"}, nil, "b-4"},
		{"semver: newest new version", semver, &Cursor{Tags: map[string]string{"1.4.0": "d"}}, []string{"1.4.0", "1.4.1", "1.5.0"}, nil, "1.5.0"},
		{"semver: an older patch never deploys over a newer version", semver, &Cursor{Tags: map[string]string{"1.5.0": "d"}}, []string{"1.4.9", "1.5.0"}, nil, ""},
		{"semver: the newest version re-pushed", semver, &Cursor{Tags: map[string]string{"1.5.0": "d1"}}, []string{"1.5.0"}, map[string]string{"1.5.0": "d2"}, "1.5.0"},
		{"below the floor counts as seen", anyTag, &Cursor{Tags: map[string]string{"b-5": "d"}, Floor: "b-5"}, []string{"b-3", "b-5"}, nil, ""},
		{"above the floor is new", anyTag, &Cursor{Tags: map[string]string{"b-5": "d"}, Floor: "b-5"}, []string{"b-5", "b-6"}, nil, "b-6"},
		{"deleted newest does not fire the one before", anyTag, &Cursor{Tags: map[string]string{"b-1": "d1", "b-2": "d2"}}, []string{"b-1"}, map[string]string{"b-1": "d1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.f, tt.prev, tt.sorted, tt.digests); got != tt.want {
				t.Errorf("Decide = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	prev := &Cursor{Tags: map[string]string{"b-1": "d1", "b-2": "d2"}}
	got := Next(prev, []string{"b-1", "b-2", "b-3", "b-4"}, map[string]string{"b-3": "d3", "b-4": "d4"}, 3)
	want := map[string]string{"b-2": "d2", "b-3": "d3", "b-4": "d4"}
	if len(got.Tags) != len(want) || got.Floor != "b-2" {
		t.Fatalf("Next = %+v, want tags %v floor b-2", got, want)
	}
	for k, v := range want {
		if got.Tags[k] != v {
			t.Errorf("Next tag %s = %q, want %q", k, got.Tags[k], v)
		}
	}
	if got := Next(nil, []string{"a"}, nil, 3); got.Floor != "" || got.Tags["a"] != "" || len(got.Tags) != 1 {
		t.Errorf("Next first look = %+v", got)
	}
}

// FuzzNaturalCompare checks that the natural order is an order: equal only
// for equal strings, and antisymmetric.
func FuzzNaturalCompare(f *testing.F) {
	for _, s := range [][2]string{{"build-9", "build-10"}, {"007", "7"}, {"a1b2", "a01b2"}, {"", "0"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := naturalCompare(a, b), naturalCompare(b, a)
		if ab != -ba {
			t.Fatalf("compare(%q, %q) = %d but compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if (ab == 0) != (a == b) {
			t.Fatalf("compare(%q, %q) = %d", a, b, ab)
		}
	})
}
