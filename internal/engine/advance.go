package engine

import (
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// advance applies Decide to the execution: it starts the stages that are
// ready, skips those that cannot run or whose condition is false, and
// finishes the execution when nothing is left. It loops because a skipped
// stage can make others ready. The first stage it starts may be claimed
// for claim (inline continuation); the others get jobs.
func (t *transition) advance(claim string, until time.Time) error {
	for range 1000 {
		d := Decide(t.exec)
		if len(d.Start) == 0 && len(d.Skip) == 0 && d.Finish == nil {
			return nil
		}
		changed := false
		for _, sk := range d.Skip {
			t.endPending(t.stage(sk.Stage), model.StageSkipped, sk.Reason)
			changed = true
		}
		for _, name := range d.Start {
			st := t.stage(name)
			spec, _ := findSpec(t.exec, name)
			run, why, err := evalCondition(spec.If, t.exec)
			if err != nil {
				t.endPending(st, model.StageFailed, err.Error())
				changed = true
				continue
			}
			if !run {
				t.endPending(st, model.StageSkipped, why)
				changed = true
				continue
			}
			now := t.now
			st.Status, st.Attempt, st.StartedAt, st.WakeAt = model.StageRunning, 1, &now, &now
			if d := spec.Timeout.D(); d > 0 {
				deadline := now.Add(d)
				st.Deadline = &deadline
			}
			t.dirty[name] = true
			t.due(st, claim, until)
		}
		if d.Finish != nil {
			t.finish(*d.Finish)
			return nil
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("execution %s: stage graph did not settle; this is a bug, please report it", t.exec.ID)
}

func (t *transition) endPending(st *model.Stage, status model.StageStatus, reason string) {
	now := t.now
	st.Status, st.Reason, st.EndedAt = status, reason, &now
	t.dirty[st.Name] = true
}

func (t *transition) finish(f Finish) {
	t.eff.Execution = &ExecutionWrite{To: f.Status, Reason: f.Reason, EndedAt: t.now}
	t.exec.Status, t.exec.Reason, t.exec.EndedAt = f.Status, f.Reason, &t.now
	ev := model.Event{Kind: model.EventExecutionFinished, Detail: string(f.Status)}
	if f.Reason != "" {
		ev.Detail += ": " + f.Reason
	}
	t.event(ev, "")
}
