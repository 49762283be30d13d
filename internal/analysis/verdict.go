package analysis

// Outcome is a judge's decision about one measurement interval.
type Outcome string

const (
	// OutcomePass: enough data, and every check passed; the canary may go on.
	OutcomePass Outcome = "pass"
	// OutcomeFail: enough data, and at least one check failed; roll the canary back.
	OutcomeFail Outcome = "fail"
	// OutcomeExtend: not enough data yet; measure the same interval longer and judge again.
	OutcomeExtend Outcome = "extend"
	// OutcomeInconclusive: still not enough data after the allowed extensions;
	// the canary's onInconclusive setting decides (pause or rollback).
	OutcomeInconclusive Outcome = "inconclusive"
)

// Check is one comparison of the canary with its baseline.
type Check struct {
	Metric   string  `json:"metric"` // "requests", "error-rate" or "p95-latency"
	Baseline float64 `json:"baseline"`
	Canary   float64 `json:"canary"`
	// Limit is the largest canary value that passes, in the canary's unit (for
	// "requests", the smallest count that is enough data).
	Limit  float64 `json:"limit"`
	Passed bool    `json:"passed"`
	// Detail is one readable sentence with the numbers.
	Detail string `json:"detail"`
}

// Verdict is a judge's answer for one interval.
type Verdict struct {
	Outcome Outcome `json:"outcome"`
	// Score is the share of checks that passed, 0-100 (0 without enough data).
	Score float64 `json:"score"`
	// Reason is one readable sentence with numbers, for the execution view.
	Reason string  `json:"reason"`
	Checks []Check `json:"checks"`
}
