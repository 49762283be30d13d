// Package frontdoor measures SLOs on the local target's front doors, with
// no other software: a rollup that turns the per-second traffic the front
// doors store (kept two hours) into per-minute rows kept for the longest
// SLO window, and a Source (slo.Source) that counts an SLI over any window
// from those minutes.
package frontdoor
