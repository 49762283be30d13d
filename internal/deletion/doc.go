// Package deletion removes an application, an environment or a pipeline
// from a server, with what it runs: `gennaker delete` and
// DELETE /api/v1/{applications,environments,pipelines}/NAME.
//
// A deletion is planned from the store (plan.go, a pure function of what
// is stored), refused while executions it concerns run (unless forced:
// they are canceled first, and their deploys undo themselves), then acts
// in this order: stop every server group the object runs and take down its
// front doors on their targets (teardown, idempotent: a failure leaves the
// records, and deleting again finishes the job), then remove the records in
// one store transaction (store.ConfigDelete), then append a "deleted" event.
// There is never a record without the thing it describes being stopped
// first, and never a half-removed set of records.
//
// Config applied with `gennaker apply` is not pruned: an object missing
// from the files stays on the server until it is deleted with this.
package deletion
