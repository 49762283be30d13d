package strategy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func envList(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("c%d", i+1)
	}
	return out
}

func TestPlanWaves(t *testing.T) {
	t.Parallel()
	one, rest := model.Wave{Count: 1}, model.Wave{Remaining: true}
	pct := func(p int) model.Wave { return model.Wave{Percent: p} }
	for _, tc := range []struct {
		name  string
		envs  int
		waves []model.Wave
		want  string
	}{
		{"no waves: one environment at a time", 3, nil, "c1 | c2 | c3"},
		{"1, then 25%, then the rest, of 3", 3, []model.Wave{one, pct(25), rest}, "c1 | c2 | c3"},
		{"1, then 25%, then the rest, of 10: 25% of 10 rounds up to 3", 10, []model.Wave{one, pct(25), rest}, "c1 | c2 c3 c4 | c5 c6 c7 c8 c9 c10"},
		{"environments no wave takes form a last wave", 5, []model.Wave{one, {Count: 2}}, "c1 | c2 c3 | c4 c5"},
		{"a wave larger than what is left takes what is left", 3, []model.Wave{{Count: 2}, {Count: 5}, {Count: 1}}, "c1 c2 | c3"},
		{"percent is of all environments, at least one", 4, []model.Wave{pct(1), pct(50), rest}, "c1 | c2 c3 | c4"},
		{"100% is everything at once", 4, []model.Wave{pct(100)}, "c1 c2 c3 c4"},
		{"remaining alone is everything at once", 4, []model.Wave{rest}, "c1 c2 c3 c4"},
		{"one environment", 1, []model.Wave{one, pct(25), rest}, "c1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := PlanWaves(envList(tc.envs), tc.waves)
			var parts []string
			for _, w := range got {
				parts = append(parts, strings.Join(w, " "))
			}
			if s := strings.Join(parts, " | "); s != tc.want {
				t.Errorf("PlanWaves(%d, %+v) = %s, want %s", tc.envs, tc.waves, s, tc.want)
			}
		})
	}
}

// TestPlanWavesProperties: for any list and any waves, every environment
// is in exactly one wave, in its order, no wave is empty, and the first
// wave is no larger than the first configured wave asks.
func TestPlanWavesProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 7))
	for range 5000 {
		envs := envList(rng.IntN(30))
		var waves []model.Wave
		for range rng.IntN(5) {
			switch rng.IntN(3) {
			case 0:
				waves = append(waves, model.Wave{Count: 1 + rng.IntN(5)})
			case 1:
				waves = append(waves, model.Wave{Percent: 1 + rng.IntN(100)})
			default:
				waves = append(waves, model.Wave{Remaining: true})
			}
		}
		got := PlanWaves(envs, waves)
		if flat := slices.Concat(got...); !slices.Equal(flat, envs) && !(len(flat) == 0 && len(envs) == 0) {
			t.Fatalf("PlanWaves(%v, %+v) = %v: not every environment once, in order", envs, waves, got)
		}
		for i, w := range got {
			if len(w) == 0 {
				t.Fatalf("PlanWaves(%v, %+v) = %v: wave %d is empty", envs, waves, got, i)
			}
		}
		if len(waves) > 0 && len(got) > 0 {
			if n := WaveSize(waves[0], len(envs)); n > 0 && len(got[0]) > n {
				t.Fatalf("PlanWaves(%v, %+v): first wave has %d environments, asked for %d", envs, waves, len(got[0]), n)
			}
		}
		if len(waves) == 0 && len(got) != len(envs) {
			t.Fatalf("PlanWaves without waves = %v: want one environment a wave", got)
		}
	}
}

func TestPlanRevert(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		before  Cluster
		now     Cluster
		history []model.ServerGroup
		created map[Ref]string
		fresh   bool
		want    string
	}{
		{
			name:    "red-black kept the old group: the abort brings its traffic back and destroys the new one",
			before:  cluster(serving(1, 2)),
			now:     cluster(disabled(1), serving(2, 2)),
			created: map[Ref]string{RefNew: "app-v002"},
			want: `
enable app-v001
wait-healthy app-v001
set-traffic app-v001=100
mark-good app-v001
mark-rolled-back app-v002
destroy app-v002
`,
		},
		{
			name:    "highlander destroyed the old group: it is started again from its version",
			before:  cluster(serving(1, 2)),
			now:     cluster(serving(2, 2)),
			history: []model.ServerGroup{destroyed(1)},
			created: map[Ref]string{RefNew: "app-v002"},
			fresh:   true,
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
			name:    "a first deploy: nothing served before, the new group leaves",
			before:  cluster(),
			now:     cluster(serving(1, 2)),
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
			history := append(tc.history, tc.now.ServerGroups...)
			p, fresh, err := PlanRevert(tc.before, tc.now, history, tc.created)
			if err != nil {
				t.Fatal(err)
			}
			if fresh != tc.fresh {
				t.Errorf("fresh = %v, want %v", fresh, tc.fresh)
			}
			if got, want := p.String(), strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
