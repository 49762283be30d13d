package analysis

import (
	"fmt"
	"time"
)

// RecordedInterval is one stored interval of the statistical judge.
type RecordedInterval struct {
	Stage    string
	Sequence int
	Data     IntervalData
	Outcome  string
	Score    float64
	Reason   string
}

// ReplayedInterval compares what was decided with what another config decides.
type ReplayedInterval struct {
	Stage    string    `json:"stage"`
	Sequence int       `json:"sequence"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Recorded struct {
		Outcome string  `json:"outcome"`
		Score   float64 `json:"score"`
		Reason  string  `json:"reason"`
	} `json:"recorded"`
	Replayed Report `json:"replayed"`
}

// ReplayResult is the outcome of judging an execution's stored analysis again.
type ReplayResult struct {
	Intervals []ReplayedInterval `json:"intervals"`
	// Recorded and Replayed say, in a sentence each, how the analysis ended
	// then and how it would end with the new config.
	Recorded string `json:"recorded"`
	Replayed string `json:"replayed"`
}

// Replay judges every recorded interval (in order) again with cfg, so the
// two decisions can be compared interval by interval; the summary names the
// first interval the new config fails, where the canary would have stopped.
// It cannot invent data: an interval the new config finds too short is
// reported as needing more data.
func Replay(j SampleJudge, recs []RecordedInterval, cfg AnalysisConfig) ReplayResult {
	var res ReplayResult
	res.Recorded = summarize(len(recs), func(i int) (string, string) { return recs[i].Outcome, recs[i].Reason }, recs)
	for _, r := range recs {
		ri := ReplayedInterval{Stage: r.Stage, Sequence: r.Sequence, Start: r.Data.Start, End: r.Data.End, Replayed: Rejudge(j, r.Data, cfg)}
		ri.Recorded.Outcome, ri.Recorded.Score, ri.Recorded.Reason = r.Outcome, r.Score, r.Reason
		res.Intervals = append(res.Intervals, ri)
	}
	res.Replayed = summarize(len(res.Intervals), func(i int) (string, string) {
		return string(res.Intervals[i].Replayed.Outcome), res.Intervals[i].Replayed.Reason
	}, recs)
	return res
}

// summarize describes a sequence of interval outcomes in one sentence.
func summarize(n int, at func(int) (string, string), recs []RecordedInterval) string {
	if n == 0 {
		return "no interval was judged by the statistical judge"
	}
	for i := range n {
		outcome, reason := at(i)
		where := fmt.Sprintf("stage %s interval %d", recs[i].Stage, recs[i].Sequence)
		switch Outcome(outcome) {
		case OutcomeFail:
			return fmt.Sprintf("fails at %s: %s", where, reason)
		case OutcomeInconclusive:
			return fmt.Sprintf("inconclusive at %s: %s", where, reason)
		}
	}
	outcome, reason := at(n - 1)
	if Outcome(outcome) == OutcomeExtend {
		return fmt.Sprintf("needs more data at its last interval: %s", reason)
	}
	return fmt.Sprintf("passes all %d intervals", n)
}
