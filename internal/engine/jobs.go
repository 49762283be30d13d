package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// stageJob is one stage job River holds, as the recovery at start-up needs it.
type stageJob struct {
	args stageArgs
	at   time.Time // when a scheduled job is due
}

// stageJobs lists the stage jobs in the given states through River's API
// (so it works on any River driver), a page at a time.
func (e *Engine) stageJobs(ctx context.Context, states ...rivertype.JobState) ([]stageJob, error) {
	params := river.NewJobListParams().Kinds(stageArgs{}.Kind()).States(states...).First(1000)
	var out []stageJob
	for {
		res, err := e.river.JobList(ctx, params)
		if err != nil {
			return nil, err
		}
		for _, j := range res.Jobs {
			var a stageArgs
			if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
				e.log.Warn("a stage job has unreadable arguments; ignoring it", "job", j.ID, "args", string(j.EncodedArgs), "err", err)
				continue
			}
			out = append(out, stageJob{args: a, at: j.ScheduledAt})
		}
		if len(res.Jobs) == 0 || res.LastCursor == nil {
			return out, nil
		}
		params = params.After(res.LastCursor)
	}
}
