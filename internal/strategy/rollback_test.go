package strategy

import (
	"errors"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestPlanRollback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		cluster Cluster
		history []model.ServerGroup // destroyed groups; the cluster's groups are added
		want    string
	}{
		{
			name:    "red-black: the disabled previous group takes traffic again",
			cluster: cluster(disabled(1), serving(2, 3)),
			want: `
enable app-v001
wait-healthy app-v001
set-traffic app-v001=100
mark-rolled-back app-v002
disable app-v002
mark-good app-v001
`,
		},
		{
			name:    "highlander: the previous group is destroyed, so it is started again",
			cluster: cluster(serving(2, 3)),
			history: []model.ServerGroup{destroyed(1)},
			want: `
create new v1 production x2
wait-healthy new
set-traffic new=100
mark-rolled-back app-v002
disable app-v002
mark-good new
`,
		},
		{
			name:    "rolled-back, baseline and canary groups are never targets",
			cluster: cluster(rolledBack(disabled(3)), serving(4, 3)),
			history: []model.ServerGroup{destroyed(1), role(destroyed(2), model.RoleBaseline), role(destroyed(2), model.RoleCanary)},
			want: `
create new v1 production x2
wait-healthy new
set-traffic new=100
mark-rolled-back app-v004
disable app-v004
mark-good new
`,
		},
		{
			name:    "mid-canary: the stable group takes everything, canary and baseline leave",
			cluster: cluster(weight(serving(1, 3), 80), role(group(2, model.ServerGroupUp, 10, 3), model.RoleBaseline), role(group(3, model.ServerGroupUp, 10, 3), model.RoleCanary)),
			// The baseline is only disabled: it was never a candidate, so it needs no mark.
			want: `
wait-healthy app-v001
set-traffic app-v001=100
disable app-v002
mark-rolled-back app-v003
disable app-v003
mark-good app-v001
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			history := append(tc.history, tc.cluster.ServerGroups...)
			p, err := PlanRollback(tc.cluster, history)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.String(), strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("plan:\n%s\nwant:\n%s\nexplained:\n%s", got, want, p.Explain())
			}
			if err := newSim(tc.cluster).run(p, nil); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestPlanRollbackWithoutTarget(t *testing.T) {
	t.Parallel()
	for _, c := range []Cluster{
		cluster(),
		cluster(serving(1, 2)),
		cluster(rolledBack(disabled(1)), serving(2, 2)),
	} {
		_, err := PlanRollback(c, c.ServerGroups)
		if !errors.Is(err, ErrNoRollbackTarget) {
			t.Errorf("cluster %v: err = %v, want ErrNoRollbackTarget", c.ServerGroups, err)
		} else if !strings.Contains(err.Error(), "deploy a known good version") {
			t.Errorf("err = %q should say what to do", err)
		}
	}
}

// Rolling back twice must not flip back to the version rolled away from.
func TestPlanRollbackTwice(t *testing.T) {
	t.Parallel()
	s := newSim(cluster(disabled(1), disabled(2), serving(3, 2)))
	for _, wantVersion := range []string{"v2", "v1"} {
		p, err := PlanRollback(s.cluster(), s.history())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.run(p, nil); err != nil {
			t.Fatal(err)
		}
		if got := s.cluster().serving(); len(got) != 1 || got[0].Version != wantVersion {
			t.Fatalf("after rollback serving %v, want %s", got, wantVersion)
		}
	}
	if _, err := PlanRollback(s.cluster(), s.history()); !errors.Is(err, ErrNoRollbackTarget) {
		t.Errorf("third rollback: err = %v, want ErrNoRollbackTarget", err)
	}
}

func TestPlanAbort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		before  Cluster
		now     Cluster
		created map[Ref]string
		want    string
	}{
		{
			name:    "failed canary: traffic back to the serving group, canary and baseline destroyed",
			before:  cluster(serving(1, 3)),
			now:     cluster(weight(serving(1, 3), 80), role(group(2, model.ServerGroupUp, 10, 3), model.RoleBaseline), role(group(3, model.ServerGroupUp, 10, 3), model.RoleCanary)),
			created: map[Ref]string{RefNew: "app-v003", RefBaseline: "app-v002"},
			want: `
wait-healthy app-v001
set-traffic app-v001=100
mark-rolled-back app-v003
destroy app-v003
destroy app-v002
`,
		},
		{
			name:    "half-done rolling: the old group gets its instances back",
			before:  cluster(serving(1, 4)),
			now:     cluster(weight(serving(1, 2), 50), group(2, model.ServerGroupUp, 50, 2)),
			created: map[Ref]string{RefNew: "app-v002"},
			want: `
resize app-v001 x4
wait-healthy app-v001
set-traffic app-v001=100
mark-rolled-back app-v002
destroy app-v002
`,
		},
		{
			name:    "red-black after the cut-over: enable the old group again",
			before:  cluster(serving(1, 2)),
			now:     cluster(markedGood(group(1, model.ServerGroupDisabled, 0, 2)), group(2, model.ServerGroupUp, 100, 2)),
			created: map[Ref]string{RefNew: "app-v002"},
			want: `
enable app-v001
wait-healthy app-v001
set-traffic app-v001=100
mark-rolled-back app-v002
destroy app-v002
`,
		},
		{
			name:    "failed first deploy: nowhere to send traffic",
			before:  cluster(),
			now:     cluster(group(1, model.ServerGroupUp, 100, 2)),
			created: map[Ref]string{RefNew: "app-v001"},
			want: `
disable app-v001
mark-rolled-back app-v001
destroy app-v001
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := PlanAbort(tc.before, tc.now, tc.created)
			if got, want := p.String(), strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("plan:\n%s\nwant:\n%s\nexplained:\n%s", got, want, p.Explain())
			}
			if err := newSim(tc.now).run(p, nil); err != nil {
				t.Error(err)
			}
		})
	}
}
