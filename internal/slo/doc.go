// Package slo decides about service level objectives: the window an SLO
// looks at, its attainment and remaining error budget, burn rates and the
// multi-window, multi-burn-rate alerts, and whether the budget lets a
// deploy go. Everything here is a pure function of counts and times; the
// evaluator (package slo/eval) fetches the counts and stores what these
// functions decide. docs/slos.md gives the formulas and their sources.
package slo
