// Package strategy turns "the cluster as it is" plus "how to deploy" into an
// ordered list of steps. It decides; it never acts.
//
// A planner (PlanDeploy, PlanRollback, PlanAbort) reads a read-only snapshot of
// one application's server groups in one environment and returns a Plan. The
// deploy stage executor runs the steps one at a time through a provider,
// persisting the index of the next step, so a crash resumes at the step that
// was running. Every step is therefore written to be idempotent: it states the
// desired end state (absolute instance counts, absolute traffic weights), never
// a delta, so running it twice does what running it once did.
//
// The executor plans once, stores the Plan (it is plain JSON) together with the
// snapshot it planned from, and resumes that stored plan after a crash. It does
// not re-plan mid-deploy: the cluster it would see then is half-changed by the
// plan itself.
//
//	snapshot (Cluster) + Request ──PlanDeploy──▶ Plan{Steps} ──executor──▶ provider
//	                                 (pure)                    (I/O, one step at a time)
//
// Refs name server groups inside a plan: RefNew is the group the deploy creates,
// RefBaseline the fresh baseline of a canary; anything else is the name of an
// existing server group. The executor records which name it gave each created
// Ref before it asks the provider to start it.
//
// One concept per file: step.go (the vocabulary), cluster.go (reading the
// snapshot), deploy.go (the request and PlanDeploy), one file per strategy,
// rollback.go, abort.go, weights.go (integer traffic splits), render.go (the
// one-line-per-step text form). The tests replay every plan through a small
// simulated executor (sim_test.go) that enforces the traffic rules.
package strategy
