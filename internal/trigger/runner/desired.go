package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/trigger"
)

// Desired is the set of triggers that need a loop, by key: every trigger
// of every pipeline except webhooks (the API receives those) and a trigger
// whose source block is missing or ambiguous (config validation refuses
// it; nothing here guesses).
func Desired(pls []model.Pipeline) map[string]trigger.Ref {
	out := map[string]trigger.Ref{}
	for _, pl := range pls {
		for _, spec := range pl.Triggers {
			switch spec.Type() {
			case "", "webhook":
				continue
			}
			ref := trigger.Ref{Pipeline: pl, Spec: spec}
			out[ref.Key()] = ref
		}
	}
	return out
}

// SourceID fingerprints what a trigger watches: its source type and
// block, without what only changes how (the interval, credentials) and
// with defaults filled in. A cursor saved under another SourceID belongs
// to what the trigger watched before (another repository, another
// upstream pipeline) and is not handed to the poller: the trigger starts
// over as if new, so a trigger moved to another repository does not fire
// for every tag it finds there.
func SourceID(ref trigger.Ref) string {
	s := ref.Spec
	src := model.TriggerSpec{Schedule: s.Schedule}
	if s.Registry != nil {
		r := *s.Registry
		r.Interval, r.Username, r.Password = 0, nil, nil
		src.Registry = &r
	}
	if s.Git != nil {
		g := *s.Git
		g.Interval, g.Username, g.Password = 0, nil, nil
		if g.Branch == "" {
			g.Branch = "main"
		}
		src.Git = &g
	}
	if s.Pipeline != nil {
		p := *s.Pipeline
		if p.Application == "" {
			p.Application = ref.Pipeline.Application
		}
		if len(p.Status) == 0 {
			p.Status = []model.ExecutionStatus{model.ExecutionSucceeded}
		}
		p.Status = slices.Clone(p.Status)
		slices.Sort(p.Status)
		src.Pipeline = &p
	}
	b, _ := json.Marshal(struct {
		Type string            `json:"type"`
		Src  model.TriggerSpec `json:"src"`
	}{s.Type(), src}) // plain structs of strings always marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
