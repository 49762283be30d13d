package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// BuildStatus decides from what was read: health read, unread or failed.
func TestBuildStatus(t *testing.T) {
	t.Parallel()
	k8s := model.Environment{Name: "prod", Target: model.TargetSpec{Kind: model.TargetKubernetes, Traffic: model.TrafficReplicas}}
	groups := []model.ServerGroup{
		{Name: "app-v001", Environment: "prod", Status: model.ServerGroupUp, Weight: 90, Instances: 3},
		{Name: "app-v002", Environment: "prod", Status: model.ServerGroupUp, Weight: 10, Instances: 1},
	}
	last := &model.Execution{ID: "exec-1"}
	for _, tc := range []struct {
		name   string
		health map[GroupKey]Health
		want   string // per group: healthy/total effective% flags
		envErr string
	}{
		{"read", map[GroupKey]Health{{"prod", "app-v001"}: {Read: true, Healthy: 1, Total: 3}, {"prod", "app-v002"}: {Read: true, Healthy: 1, Total: 1}},
			"1/3 50% | 1/1 50% | ", ""},
		{"unread: the weights asked for", nil, "0/3 90% unread | 0/1 10% unread | ", ""},
		{"failed", map[GroupKey]Health{{"prod", "app-v001"}: {Read: true, Error: "refused"}, {"prod", "app-v002"}: {Read: true, Healthy: 1, Total: 1}},
			"0/3 0% error | 1/1 100% | ", "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := BuildStatus("app", StatusFacts{Environments: []model.Environment{k8s, {Name: "staging"}}, ServerGroups: groups,
				Latest: map[string]*model.Execution{"prod": last}, Health: tc.health})
			if len(st.Environments) != 1 {
				t.Fatalf("%d environments, want prod only (staging has no groups and no execution)", len(st.Environments))
			}
			es := st.Environments[0]
			got := ""
			for _, g := range es.ServerGroups {
				got += fmt.Sprintf("%d/%d %d%%", g.Healthy, g.Total, g.EffectiveWeight)
				if g.HealthUnread {
					got += " unread"
				}
				if g.Error != "" {
					got += " error"
				}
				got += " | "
			}
			if got != tc.want || es.Error != tc.envErr || es.LastExecution != last {
				t.Fatalf("got %q error %q last %v, want %q error %q last exec-1", got, es.Error, es.LastExecution, tc.want, tc.envErr)
			}
		})
	}
}

// stubHealth reads every group as one instance short, and refuses in
// environment broken.
type stubHealth struct{}

func (stubHealth) Health(_ context.Context, env model.Environment, sg model.ServerGroup) (int, int, error) {
	if env.Name == "broken" {
		return 0, 0, errors.New("refused")
	}
	return sg.Instances - 1, sg.Instances, nil
}

func (stubHealth) Logs(context.Context, model.Environment, model.ServerGroup, int) (string, error) {
	return "", nil
}

// Overview, reading a page of applications in a few queries, shows each
// what Status shows it (its last executions without their stages).
func TestOverviewShowsWhatStatusShows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	envs := []model.Environment{{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"a": "127.0.0.1:2"},
		FrontDoorTLS: &model.FrontDoorTLS{CertFile: "/etc/tls/a.crt", KeyFile: "/etc/tls/a.key"}},
		{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"a": "127.0.0.1:1"}},
		{Name: "broken", Target: model.TargetSpec{Kind: model.TargetLocal}}, {Name: "empty", Target: model.TargetSpec{Kind: model.TargetLocal}}}
	apps := []model.Application{{Name: "a", Instances: 2, Run: model.RunSpec{Command: "a"}}, {Name: "b", Instances: 2, Run: model.RunSpec{Command: "b"}},
		{Name: "idle", Instances: 1, Run: model.RunSpec{Command: "idle"}}}
	if _, err := st.ConfigApply(ctx, model.Config{Applications: apps, Environments: envs}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	n := 0
	for _, app := range []string{"a", "b"} {
		for seq, env := range []string{"staging", "prod", "broken", "prod"} {
			status := model.ServerGroupUp
			if seq == 1 {
				status = model.ServerGroupDisabled
			}
			if err := st.ServerGroupInsert(ctx, &model.ServerGroup{Name: model.ServerGroupName(app, seq+1), Application: app, Environment: env, Sequence: seq + 1,
				Version: "v1", Role: model.RoleProduction, Status: status, Instances: 2, Weight: 50, CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
			n++
			spec := model.Pipeline{Name: "deploy-" + env, Application: app, Stages: []model.StageSpec{{Name: "deploy", Deploy: &model.DeployStage{Environment: env}}}}
			if err := st.ExecutionInsert(ctx, &model.Execution{ID: fmt.Sprintf("e%d", n), Pipeline: spec.Name, Application: app, Status: model.ExecutionSucceeded,
				Params: map[string]string{}, Spec: spec, CreatedAt: t0.Add(time.Duration(n) * time.Minute),
				Stages: []model.Stage{{Name: "deploy", Type: model.StageDeploy, Status: model.StageSucceeded}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := &Service{Store: st, Inspector: stubHealth{}}
	ov, err := s.Overview(ctx, []string{"a", "b", "idle"})
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"a", "b", "idle"} {
		want, err := s.Status(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Environments {
			if e := want.Environments[i].LastExecution; e != nil {
				e.Stages = nil
			}
			want.Environments[i].Rollback = nil // only Status previews the rollback
		}
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(ov.Statuses[app])
		if string(wj) != string(gj) {
			t.Errorf("application %s:\nOverview %s\nStatus   %s", app, gj, wj)
		}
	}
	urls := map[string]string{}
	for _, e := range ov.Statuses["a"].Environments {
		urls[e.Environment] = e.FrontDoorURL
	}
	if urls["staging"] != "https://127.0.0.1:2" || urls["prod"] != "http://127.0.0.1:1" || urls["broken"] != "" {
		t.Errorf("front door URLs %v: want https for the environment with frontDoorTLS, http for the other, none without a front door", urls)
	}
	if ov.Latest["b"] == nil || ov.Latest["b"].ID != "e8" || ov.Latest["idle"] != nil {
		t.Errorf("Overview's latest executions: b %v, idle %v; want e8 and none", ov.Latest["b"], ov.Latest["idle"])
	}
}

// The rollback preview names the version the rollback returns to, or the
// one it redeploys when that group is destroyed, per environment.
func TestPreviewRollback(t *testing.T) {
	t.Parallel()
	g := func(env string, seq int, version string, status model.ServerGroupStatus) model.ServerGroup {
		sg := model.ServerGroup{Name: model.ServerGroupName("a", seq), Application: "a", Environment: env, Sequence: seq, Version: version,
			Role: model.RoleProduction, Status: status, Instances: 2}
		if status == model.ServerGroupUp {
			sg.Weight = 100
		}
		return sg
	}
	history := []model.ServerGroup{
		g("prod", 1, "v1", model.ServerGroupDisabled), g("prod", 2, "v2", model.ServerGroupUp),
		g("staging", 1, "v1", model.ServerGroupDestroyed), g("staging", 2, "v2", model.ServerGroupUp),
		g("dev", 1, "v1", model.ServerGroupUp),
	}
	var current []model.ServerGroup
	for _, sg := range history {
		if sg.Status != model.ServerGroupDestroyed {
			current = append(current, sg)
		}
	}
	cases := map[string]string{
		"prod":    "rolling back a in prod returns traffic to v1 (server group a-v001, disabled)",
		"staging": "rolling back a in staging redeploys v1 (server group a-v001 was destroyed)",
		"dev":     "no rollback possible: ",
	}
	for env, want := range cases {
		got := PreviewRollback("a", env, current, history)
		if !strings.HasPrefix(got.Summary, want) {
			t.Errorf("%s: %q, want %q", env, got.Summary, want)
		}
		if (got.Target == nil) != (env == "dev") {
			t.Errorf("%s: target %+v", env, got.Target)
		}
	}
}
