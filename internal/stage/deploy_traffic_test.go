package stage

import (
	"reflect"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func group(name string, status model.ServerGroupStatus, role model.ServerGroupRole, weight int) model.ServerGroup {
	return model.ServerGroup{Name: name, Status: status, Role: role, Weight: weight}
}

func TestRoutesFor(t *testing.T) {
	t.Parallel()
	groups := []model.ServerGroup{
		group("v1", model.ServerGroupUp, model.RoleProduction, 50),
		group("v2-base", model.ServerGroupUp, model.RoleBaseline, 25),
		group("v3", model.ServerGroupUp, model.RoleCanary, 25),
		group("v0", model.ServerGroupDisabled, model.RoleProduction, 0),
		group("v4", model.ServerGroupCreating, model.RoleCanary, 0),
	}
	want := []Route{{ServerGroup: "v1", Weight: 50}, {ServerGroup: "v2-base", Weight: 25}, {ServerGroup: "v3", Weight: 25, Canary: true}}
	if got := routesFor(groups); !reflect.DeepEqual(got, want) {
		t.Fatalf("routesFor = %+v, want only the up groups, the canary marked: %+v", got, want)
	}
}

func TestWeightUpdates(t *testing.T) {
	t.Parallel()
	groups := []model.ServerGroup{
		group("v1", model.ServerGroupUp, model.RoleProduction, 100),
		group("v2", model.ServerGroupUp, model.RoleCanary, 0),
		group("v0", model.ServerGroupDisabled, model.RoleProduction, 0),
	}
	updates := weightUpdates(groups, map[string]int{"v2": 100})
	after := withUpdates(groups, updates)
	if len(updates) != 2 {
		t.Errorf("%d updates, want 2 (v0 keeps its 0)", len(updates))
	}
	if after[0].Weight != 0 || after[1].Weight != 100 || after[2].Weight != 0 {
		t.Fatalf("after the updates: %+v", after)
	}
	if groups[0].Weight != 100 {
		t.Fatal("withUpdates changed the groups it was given")
	}
	if got := routesFor(after); !reflect.DeepEqual(got, []Route{{ServerGroup: "v1", Weight: 0}, {ServerGroup: "v2", Weight: 100, Canary: true}}) {
		t.Errorf("routes after: %+v", got)
	}
}

func TestLastGoodUpdates(t *testing.T) {
	t.Parallel()
	history := []model.ServerGroup{
		{Name: "v1", Status: model.ServerGroupDestroyed, LastGood: true},
		{Name: "v2", Status: model.ServerGroupUp, Role: model.RoleCanary, Weight: 100},
	}
	after := withUpdates(history, lastGoodUpdates(history, "prod", "v2"))
	if after[0].LastGood || !after[1].LastGood || after[1].Role != model.RoleProduction {
		t.Fatalf("after: %+v; want v1 without the mark, v2 the last good production group", after)
	}
	if routes := routesFor(after); len(routes) != 1 || routes[0].Canary {
		t.Errorf("a promoted canary still takes canary requests: %+v", routes)
	}
}

func TestApplyUpdateSetsOnlyWhatIsGiven(t *testing.T) {
	t.Parallel()
	sg := model.ServerGroup{Name: "v1", Status: model.ServerGroupUp, Weight: 40, Instances: 3, Role: model.RoleCanary}
	zero, destroyed, rolledBack := 0, model.ServerGroupDestroyed, true
	applyUpdate(&sg, store.ServerGroupUpdateParams{Name: "v1", Weight: &zero, Status: &destroyed, RolledBack: &rolledBack})
	want := model.ServerGroup{Name: "v1", Status: model.ServerGroupDestroyed, Weight: 0, Instances: 3, Role: model.RoleCanary, RolledBack: true}
	if !reflect.DeepEqual(sg, want) {
		t.Fatalf("applyUpdate: %+v, want %+v", sg, want)
	}
}
