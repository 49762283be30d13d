package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
)

// ReplayResponse is the answer of POST /api/v1/executions/{id}/analysis/replay.
type ReplayResponse struct {
	ExecutionID string `json:"executionId"`
	analysis.ReplayResult
	// Skipped counts intervals that cannot be rejudged (judged by the
	// threshold judge, which keeps counters, not samples).
	Skipped int `json:"skipped"`
}

// replayAnalysis judges an execution's stored analysis intervals again with
// the analysis config in the body, without changing anything.
func (s *Server) replayAnalysis(w http.ResponseWriter, r *http.Request) {
	var cfg model.AnalysisSpec
	if err := decodeBody(w, r, &cfg, maxActionBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	// Checked as it will judge: with the default metrics when it names none.
	if err := analysis.ConfigFor(cfg).Validate(); err != nil {
		s.writeError(w, r, fmt.Errorf("%w: %v", errBadInput, err))
		return
	}
	id := LoadedExecution(r).ID
	recs, err := s.cfg.Store.AnalysisList(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp := ReplayResponse{ExecutionID: id}
	var intervals []analysis.RecordedInterval
	for _, rec := range recs {
		var data analysis.IntervalData
		if err := json.Unmarshal(rec.Measurements, &data); err != nil || data.Judge != model.JudgeMannWhitney {
			resp.Skipped++
			continue
		}
		intervals = append(intervals, analysis.RecordedInterval{Stage: rec.Stage, Sequence: rec.Sequence, Data: data, Outcome: rec.Outcome, Score: rec.Score, Reason: rec.Reason})
	}
	if len(intervals) == 0 {
		s.writeError(w, r, fmt.Errorf("%w: execution %s has no intervals judged by the statistical judge to replay (%d were judged by the threshold judge, which keeps counters, not samples)", errBadInput, id, resp.Skipped))
		return
	}
	resp.ReplayResult = analysis.Replay(analysis.MannWhitneyJudge{}, intervals, analysis.ConfigFor(cfg))
	writeJSON(w, http.StatusOK, resp)
}
