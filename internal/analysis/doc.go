// Package analysis judges a canary: it compares what the canary server group
// did during a measurement interval with what its baseline did, and returns a
// Verdict. Everything here is pure: counters in, decision out. Fetching the
// counters (from the front-door proxy, later Prometheus) and waiting for the
// interval to pass belong to the canary stage, which stores what it measured
// so far and resumes after a restart.
//
// The flow for one interval:
//
//	front door counters at start ─┐
//	                              ├─ Diff ─▶ Counters for the interval ─ Measure ─▶ Measurement
//	front door counters at end ───┘                                                      │
//	                        Input{Spec, Baseline, Canary, Extensions} ◀──────────────────┘
//	                              │
//	                            Judge ─▶ Verdict{Pass | Fail | Extend | Inconclusive}
//
// ThresholdJudge is the first judge: fixed limits on the 5xx rate increase
// and the p95 latency ratio. The Judge interface is what the stage depends on,
// so a statistical judge (Mann-Whitney, as Kayenta uses) can replace it.
//
// Files: counters.go (raw counters and interval differences), quantile.go
// (latency quantiles from a histogram), measurement.go (one group's numbers
// for an interval), verdict.go (what a judge returns), judge.go (the
// interface and its input), threshold.go (the threshold judge).
//
// MannWhitneyJudge is the statistical judge (SampleJudge: per-metric samples
// in, Report out), Kayenta-style: config.go (AnalysisConfig, the
// AnalysisTemplate spec), classify.go (one metric: NaN strategy, outliers,
// Mann-Whitney U and Hodges-Lehmann interval, effect-size gates),
// proportion.go (a metric whose samples carry their trials, the front
// door's error rate, tested on the interval's counts), tail.go (a latency
// quantile whose samples carry the interval's requests, the front door's
// p95 and p99: the share of each side's requests above a pooled quantile,
// by Fisher's exact test), score.go (group and
// weighted scores, thresholds), kayenta.go (the interval decision: the
// critical metrics' false-alarm budget split among the step's intervals,
// and the tail tests' on the last one,
// extend, inconclusive, pass, fail). The statistics live in the stats
// package; docs/analysis.md explains the rules and where they differ from
// Kayenta. Judge fixtures are in testdata/judge (format in judge_fixture_test.go).
package analysis
