// Package render turns Helm charts and kustomize overlays into the
// Kubernetes objects a deploy applies, in process and without touching the
// network, the disk or a cluster.
//
// # Inputs
//
//   - [Helm] renders a chart (a packaged .tgz or an unpacked directory in an
//     fs.FS) with the Helm v4 SDK's chart loader and template engine, the way
//     `helm template` does: chart values, then values files, then --set
//     values, then gennaker's own values (.Values.gennaker and the image tag).
//     Subcharts must be vendored in charts/. NOTES.txt is dropped, test hooks
//     are dropped, and crds/ and other hooks follow [Policy].
//   - [Kustomize] builds an overlay with kustomize's krusty API over an
//     in-memory copy of the files; remote bases, exec/container plugins and
//     helmCharts are refused before kustomize sees them.
//
// # Output
//
// Both return [Object]s: the rendered object plus where it came from, sorted
// in Helm's install order ([Sort]). [Manifest] renders a set as canonical
// YAML, which is what an execution records; [ParseManifest] reads it back
// and [Diff] names what changed between two sets.
//
// # Limits
//
// Every render is bounded by [Limits]: bytes read, bytes and objects produced
// and time. Go templates cannot be interrupted from outside, so the chart's
// templates are given a cheap check at the start of every range iteration
// and every named template (define), and Sprig's functions check it too: a
// template that loops or recurses without end fails at the timeout with an
// error naming the chart.
package render
