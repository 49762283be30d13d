// Package kubernetes is the Kubernetes target: it runs server groups as
// Deployments on a cluster and splits traffic between them.
//
// # Objects
//
// A server group is a Deployment named after it (checkout-v003), applied with
// server-side apply under the field manager "gennaker", from the
// application's image or from its manifest set (manifestset.go: ConfigMaps,
// autoscalers and disruption budgets copied per group and owned by its
// Deployment; the stable Service; shared ServiceAccounts). Its pods carry:
//
//	app.kubernetes.io/name=<app>           app.kubernetes.io/managed-by=gennaker
//	gennaker.dev/server-group=<group>      gennaker.dev/version=<version>
//	gennaker.dev/enabled=true|false        (the traffic switch, see below)
//
// A group's pods are found by ownership (pod -> ReplicaSet -> Deployment),
// never by a label query another group's pods could match (pods.go).
//
// # Traffic
//
// Every application has a stable Service (spec.service.name, default the
// application's name). While one gennaker-created group takes all traffic,
// it selects that group by the server-group label its pod template
// carries, so restarts, evictions and drains need nothing from gennaker.
// While several groups share traffic (a canary), it selects
// app.kubernetes.io/name=<app>,gennaker.dev/enabled=true: enabling and
// disabling a group relabels its running pods (as Spinnaker does for load
// balancers), so no pod restarts and a rollback to a running group is
// instant. The wanted state is recorded on the Deployment (annotation
// gennaker.dev/enabled), the pod template says enabled=false (a pod nobody
// has vetted takes no traffic), and a watch on pods (podsync.go,
// RunTrafficSync) labels each new pod within milliseconds of its creation.
//
// Two traffic modes, chosen per environment:
//
//   - replicas: only the stable Service; a group's share of traffic is its
//     share of ready pods, so weights are approximated by replica counts.
//   - gateway: in addition, one Service per server group and a Gateway API
//     HTTPRoute named after the application whose backendRefs carry the exact
//     weights (for its hostnames and paths, on every parent Gateway), and a
//     rule sending requests with the canary headers (default
//     X-Gennaker-Route: canary) to the canary group; the stable Service
//     keeps in-cluster callers on the stable group, unless a GAMMA mesh
//     applies the same rules through the "<app>-mesh" route (gateway.go).
//
// Every call is idempotent and retried with backoff on transient API errors
// (5xx, timeouts, throttling, conflicts, connection failures); a permanent
// error fails with the API server's own message. A 401 or 403 is retried
// while the API server is not ready (RBAC syncs after a restart) and fails
// at once from a ready one (readiness.go). In gateway mode the cluster is
// checked to serve the Gateway API before anything is created (preflight.go).
//
// # Out-of-band changes
//
// WatchOutOfBand watches the namespace's Deployments, StatefulSets and
// DaemonSets and reports what was changed around gennaker: a server
// group's image, replicas or pod template written by another field
// manager than "gennaker" (the owner of a changed field in managedFields
// is who wrote it), and workloads without gennaker's labels. The decisions
// are pure (DeploymentChanges, ForeignWorkload, outofband.go); the
// caller records each change once by its Key.
package kubernetes
