package stage

import (
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// An analysis step announces its verdict once, when it is decided (not at
// every interval), with the environment, the version and the short reason.
func TestDeployCanaryVerdictEvent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		errors  uint64
		verdict string
	}{
		{"passed", 0, "passed"},
		{"failed", 100, "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newDeployBundle(t)
			b.deployV1(t)
			if tc.errors > 0 {
				b.target.errorsPer1000 = map[model.ServerGroupRole]uint64{model.RoleCanary: tc.errors}
			}
			in := b.start(t, "exec-2", "v2", canary(analyzeFor(2)), clock.Add(0))
			var verdicts []model.Event
			for range 60 {
				r := b.step(t, &in)
				for _, e := range r.Events {
					if e.Kind == model.EventCanaryVerdict {
						verdicts = append(verdicts, e)
					}
				}
				if r.Outcome != Continue {
					break
				}
			}
			if len(verdicts) != 1 {
				t.Fatalf("%d canary_verdict events %+v, want one", len(verdicts), verdicts)
			}
			v := verdicts[0]
			if v.Action != tc.verdict || v.Version != "v2" || v.Environment == "" || v.Detail == "" {
				t.Fatalf("verdict %+v, want %s of v2 with its environment and reason", v, tc.verdict)
			}
		})
	}
}
