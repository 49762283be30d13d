// Package audit records who changed or did what, in the store's
// hash-chained audit log: a Recorder for the API and the UI, the entry of an
// HTTP request, and the diff of a config change. Verification of the chain
// is model.VerifyAuditChain, over a whole log VerifyChain.
package audit
