// Package local is the local target provider: it runs server groups as child
// processes on this machine, behind one front-door reverse proxy per
// application and environment. The front doors of an environment run in a
// process of their own (doorchild.go, `gennaker frontdoor`) that outlives
// the server; the server drives it over a unix socket (doorproto.go,
// doorclient.go) and adopts it after a restart (doors.go).
//
// Lifecycle of an instance:
//
//	EnsureServerGroup ─► spawn (own process group, log file, free port)
//	      ▲                   │
//	      │ backoff 1s..30s   ▼
//	   exited ◄──────── supervise: probe HealthCheck.Path every Interval
//
// Instances outlive the gennaker server: their output goes to files under
// DataDir/logs, they run in their own process group, and every pid is
// recorded with its start time in DataDir/local-state.json. A restarted
// server calls Reconcile to adopt the instances still running (checking the
// start time so a reused pid is never mistaken for an instance) and to kill
// the ones no longer wanted.
//
// The front door (proxy.go, in the front-door process of its environment)
// picks a server group by weight, exactly (smooth weighted round robin,
// split.go), or by the X-Gennaker-Route header, or on a sticky door by its
// cookie (sticky.go); then a healthy instance round robin. It counts
// requests, 5xx and latency per server group for canary analysis.
package local
