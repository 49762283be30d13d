// Package prom measures SLOs with Prometheus: the PromQL that counts an
// SLI over a window (promql.go), a slo.Source that runs it against the
// SLO's Prometheus (source.go), and recording and alerting rules that let
// Prometheus itself record error ratios, budgets and burn rates and page on
// multi-window burn-rate alerts (rules.go). gennaker's own numbers and the
// rules' agree: test/sloprom checks both against a real Prometheus.
package prom
