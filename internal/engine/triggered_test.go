package engine_test

import (
	"sync"
	"testing"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// Two firings of one delivery at once (a replayed webhook, two replicas
// seeing the same tag) start one execution: the other gets its ID marked
// duplicate, and only the start that happened is audited. A new delivery
// starts again.
func TestStartTriggeredStartsADeliveryOnce(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			st := kind.open(t)
			_, err := st.ConfigApply(t.Context(), model.Config{
				Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "./checkout"}}},
			})
			must(t, err)
			eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{}, SingleNode: kind.singleNode})
			must(t, err)
			trig := model.Trigger{Kind: "webhook", Actor: "trigger:checkout/ship/push", Name: "checkout/ship/push", DeliveryID: "d-1"}
			fire := func(delivery string) (*model.Execution, bool, error) {
				tr := trig
				tr.DeliveryID = delivery
				return eng.StartTriggered(t.Context(), noopPipeline, map[string]string{"version": "v1"}, tr,
					engine.Guard{Audit: &model.AuditEntry{Actor: tr.Actor, Action: model.AuditRun, Object: "pipeline/ship"}})
			}

			const n = 2
			type answer struct {
				exec *model.Execution
				dup  bool
				err  error
			}
			answers := make([]answer, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					exec, dup, err := fire("d-1")
					answers[i] = answer{exec, dup, err}
				})
			}
			close(start)
			wg.Wait()
			started := ""
			dups := 0
			for _, a := range answers {
				must(t, a.err)
				if a.dup {
					dups++
				} else {
					started = a.exec.ID
				}
			}
			if started == "" || dups != n-1 {
				t.Fatalf("answers %+v: want one start and %d duplicates", answers, n-1)
			}
			for _, a := range answers {
				if a.exec.ID != started {
					t.Fatalf("a firing was told execution %s, the one started is %s", a.exec.ID, started)
				}
			}
			execs, err := st.ExecutionList(t.Context(), store.ExecutionListParams{Pipeline: "ship"})
			must(t, err)
			if len(execs) != 1 || execs[0].Trigger.Name != "checkout/ship/push" || execs[0].Trigger.DeliveryID != "d-1" || execs[0].Trigger.Kind != "webhook" {
				t.Fatalf("executions %+v: want one, recording the trigger and delivery", execs)
			}
			entries, err := st.AuditList(t.Context(), store.AuditListParams{})
			must(t, err)
			if len(entries) != 1 || entries[0].Actor != "trigger:checkout/ship/push" || entries[0].Object != "pipeline/ship" {
				t.Fatalf("audit entries %+v: want one start by trigger:checkout/ship/push", entries)
			}

			again, dup, err := fire("d-1")
			must(t, err)
			if !dup || again.ID != started || again.Status == "" {
				t.Fatalf("a replay = %s (dup %v, status %q), want the stored execution %s marked duplicate", again.ID, dup, again.Status, started)
			}
			next, dup, err := fire("d-2")
			must(t, err)
			if dup || next.ID == started {
				t.Fatalf("a new delivery = %s (dup %v), want a new execution", next.ID, dup)
			}
		})
	}
}
