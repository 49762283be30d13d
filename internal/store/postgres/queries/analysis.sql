-- Canary analysis: one row per judged interval.

-- name: AnalysisInsert
INSERT INTO analysis_record (execution_id, stage, sequence, started_at, ended_at, outcome, score, reason, measurements, verdict)
VALUES (@execution_id, @stage, @sequence, @started_at, @ended_at, @outcome, @score, @reason, @measurements, @verdict);

-- name: AnalysisList
SELECT execution_id, stage, sequence, started_at, ended_at, outcome, score, reason, measurements, verdict
FROM analysis_record
WHERE execution_id = @execution_id
ORDER BY stage, sequence;
