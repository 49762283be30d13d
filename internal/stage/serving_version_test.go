package stage

import (
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

func TestServingVersion(t *testing.T) {
	t.Parallel()
	g := func(v string, seq, w int, st model.ServerGroupStatus) model.ServerGroup {
		return model.ServerGroup{Version: v, Sequence: seq, Weight: w, Status: st}
	}
	up, off := model.ServerGroupUp, model.ServerGroupDisabled
	for _, c := range []struct {
		name   string
		groups []model.ServerGroup
		want   string
	}{
		{"the group with the traffic", []model.ServerGroup{g("v1", 1, 0, off), g("v2", 2, 100, up)}, "v2"},
		{"the larger share during a canary", []model.ServerGroup{g("v2", 2, 75, up), g("v3", 3, 25, up)}, "v2"},
		{"the newest of equal shares", []model.ServerGroup{g("v2", 2, 50, up), g("v3", 3, 50, up)}, "v3"},
		{"none serving", []model.ServerGroup{g("v1", 1, 0, off)}, ""},
	} {
		if got := servingVersion(strategy.Cluster{ServerGroups: c.groups}); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
